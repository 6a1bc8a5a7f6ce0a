// Thread helpers. Work is split into fixed-size chunks that are handed out statically, so what
// each chunk computes never depends on the thread count; reductions across chunks are summed
// by the caller in chunk order. That is what makes results bit-identical for any --threads.
#pragma once
#include <cstdint>
#include <omp.h>

namespace ulr {

inline int num_threads() { return omp_get_max_threads(); }
inline void set_num_threads(int n) { omp_set_num_threads(n < 1 ? 1 : n); }
inline bool in_parallel() { return omp_in_parallel(); }

// Calls fn(begin, end) for consecutive chunks [begin, end) of [0, n), each `grain` long (the last
// may be shorter). Runs serially when n is small or when already inside a parallel region.
template <class Fn>
void parallel_for(int64_t n, int64_t grain, Fn&& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  const int64_t chunks = (n + grain - 1) / grain;
  if (chunks == 1 || omp_in_parallel() || omp_get_max_threads() == 1) {
    for (int64_t c = 0; c < chunks; ++c) fn(c * grain, c + 1 == chunks ? n : (c + 1) * grain);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; ++c) fn(c * grain, c + 1 == chunks ? n : (c + 1) * grain);
}

// Scoped thread count: sets n for the scope, restores the previous count after.
class ThreadScope {
 public:
  explicit ThreadScope(int n) : prev_(num_threads()) { set_num_threads(n); }
  ~ThreadScope() { set_num_threads(prev_); }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int prev_;
};

}  // namespace ulr
