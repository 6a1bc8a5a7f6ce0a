// Thread helpers. Work is split into fixed-size chunks; what each chunk computes never depends on
// which thread runs it or how many threads there are, and reductions across chunks are summed by
// the caller in chunk order. That is what makes results bit-identical for any --threads.
//
// Who runs the chunks: the calling thread itself, helped by whichever workers of one process-wide
// pool are free at that moment (the pool starts on first use, grows to the largest thread count
// asked for, and its idle workers spin briefly, then sleep). The caller takes chunks until none is
// left and then waits only for chunks a worker has already started — never for a worker that has
// not woken up. On a machine where other processes compete for the cores (a robot always runs
// some), a region therefore costs about its own work, not a scheduler tick for a descheduled
// worker; a fork-join team (OpenMP) waits for every member at every region.
#pragma once
#include <cstdint>

namespace ulr {

// Threads a parallel_for called from this thread may use, the caller included. The count
// belongs to the calling thread: set_num_threads on one thread does not change another's.
// Default: the machine's hardware threads.
int num_threads();
void set_num_threads(int n);  // n < 1 counts as 1
// True while this thread runs a chunk of a parallel_for (a nested parallel_for runs serially).
bool in_parallel();

namespace detail {
using ChunkFn = void (*)(void* context, int64_t chunk);
// Runs fn(context, c) once for every c in [0, chunks) on up to num_threads() threads. Returns
// when all have run; rethrows the first exception a chunk threw (chunks not yet started when it
// was thrown are skipped).
void run_chunks(int64_t chunks, ChunkFn fn, void* context);
}  // namespace detail

// Calls fn(begin, end) for consecutive chunks [begin, end) of [0, n), each `grain` long (the last
// may be shorter). Runs serially when there is one chunk, one thread, or already inside a chunk.
template <class Fn>
void parallel_for(int64_t n, int64_t grain, Fn&& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  const int64_t chunks = (n + grain - 1) / grain;
  auto run = [&](int64_t c) { fn(c * grain, c + 1 == chunks ? n : (c + 1) * grain); };
  if (chunks == 1 || in_parallel() || num_threads() == 1) {
    for (int64_t c = 0; c < chunks; ++c) run(c);
    return;
  }
  using Run = decltype(run);
  detail::run_chunks(chunks, [](void* context, int64_t c) { (*static_cast<Run*>(context))(c); },
                     &run);
}

// Scoped thread count for the calling thread: sets n for the scope, restores the previous count.
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
