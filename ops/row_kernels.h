// Row kernels that more than one op file uses (internal to ops/).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/parallel.h"

namespace ulr {

// sum of term(i) for i in [0, n) in double, with eight independent accumulators (one long
// dependency chain of double adds would bound a pass at one element per add latency). The
// order depends on n alone.
template <class Term>
inline double sum_terms(int64_t n, Term term) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += term(i + j);
  double tail = 0;
  for (; i < n; ++i) tail += term(i);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
}

// sum of term(i) over [0, n) across the threads: fixed chunks of `grain` (each summed by
// sum_terms), chunk sums added in chunk order, so the result never depends on the thread count.
template <class Term>
inline double chunked_sum(int64_t n, int64_t grain, Term term) {
  const int64_t chunks = (n + grain - 1) / grain;
  std::vector<double> partial(size_t(std::max<int64_t>(chunks, 1)), 0.0);
  parallel_for(n, grain, [&](int64_t begin, int64_t end) {
    partial[size_t(begin / grain)] = sum_terms(end - begin, [&](int64_t i) { return term(begin + i); });
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

// softmax (or log_softmax) of one contiguous row of d floats: y from x; y may be x. SIMD exp.
// ops/softmax.cpp; the attention forward runs it over its score rows.
void softmax_row(float* y, const float* x, int64_t d, bool log);

}  // namespace ulr
