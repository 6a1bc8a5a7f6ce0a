// Row kernels that more than one op file uses (internal to ops/).
#pragma once
#include <cstdint>

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

// softmax (or log_softmax) of one contiguous row of d floats: y from x; y may be x. SIMD exp.
// ops/softmax.cpp; the attention forward runs it over its score rows.
void softmax_row(float* y, const float* x, int64_t d, bool log);

}  // namespace ulr
