// The worker pool behind parallel_for (see parallel.h for what it promises).
//
// A parallel_for posts a Job, notifies the workers and takes chunks itself. A free worker joins a
// job that still has chunks and room for a helper, and takes chunks from the other end. When
// none is left the caller withdraws the job (no worker can join after that) and waits
// for the helpers already inside it: each is finishing at most the chunk it holds.
#include "engine/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ulr {

namespace {

thread_local int t_threads = 0;  // 0: not set on this thread, the default applies
thread_local bool t_in_chunk = false;

int default_threads() {
  static const int n = int(std::max(1u, std::thread::hardware_concurrency()));
  return n;
}

// A worker that has just finished watches for the next job this long before it sleeps: a
// forward pass posts its regions microseconds apart, and a sleeping worker costs a system call
// to wake.
constexpr std::chrono::microseconds kSpinBeforeSleep{100};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// One parallel_for in flight.
struct Job {
  detail::ChunkFn fn;
  void* context;
  int helpers_wanted;             // workers that may join: the caller's thread count - 1
  // The chunks not handed out yet, [front, back): the caller takes them from the front, helpers
  // from the back, so each thread runs a contiguous run of chunks (as a static split would) and
  // they meet wherever the work is balanced. front in the low 32 bits, back in the high.
  std::atomic<uint64_t> left{0};
  std::atomic<int> helpers{0};    // workers inside the job (they join under the pool's mutex)
  std::exception_ptr error;       // first exception a chunk threw (guarded by the pool's mutex)
};

class Pool {
 public:
  static Pool& instance() {
    static Pool pool;
    return pool;
  }
  ~Pool();
  void run(Job& job);

 private:
  void take_chunks(Job& job, bool from_front);
  Job* joinable_job();  // requires mutex_
  void worker_loop();
  bool spin_until_posted(uint64_t seen) const;
  void wait_for_helpers(Job& job);

  std::mutex mutex_;
  std::condition_variable work_cv_;  // a job was posted, or the pool stops
  std::condition_variable done_cv_;  // a job's last helper left it
  std::vector<Job*> jobs_;           // posted and not yet withdrawn
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> posted_{0};  // jobs posted so far (changed under mutex_)
  int sleeping_ = 0;
  bool stop_ = false;
};

Pool::~Pool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

bool has_chunks_left(const Job& job) {
  const uint64_t left = job.left.load(std::memory_order_relaxed);
  return (left & 0xffffffffu) < (left >> 32);
}

// Hands out one chunk from the front or the back of what is left; -1 when nothing is.
int64_t take_one(Job& job, bool from_front) {
  uint64_t left = job.left.load(std::memory_order_relaxed);
  while (true) {
    const uint64_t front = left & 0xffffffffu, back = left >> 32;
    if (front >= back) return -1;
    const uint64_t taken = from_front ? left + 1 : left - (uint64_t(1) << 32);
    if (job.left.compare_exchange_weak(left, taken, std::memory_order_relaxed))
      return int64_t(from_front ? front : back - 1);
  }
}

void Pool::take_chunks(Job& job, bool from_front) {
  t_in_chunk = true;
  for (int64_t c; (c = take_one(job, from_front)) >= 0;) {
    try {
      job.fn(job.context, c);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!job.error) job.error = std::current_exception();
      job.left.store(0, std::memory_order_relaxed);  // skip the chunks not yet started
    }
  }
  t_in_chunk = false;
}

Job* Pool::joinable_job() {
  for (Job* job : jobs_)
    if (job->helpers.load(std::memory_order_relaxed) < job->helpers_wanted && has_chunks_left(*job))
      return job;
  return nullptr;
}

bool Pool::spin_until_posted(uint64_t seen) const {
  const auto until = std::chrono::steady_clock::now() + kSpinBeforeSleep;
  for (int i = 1;; ++i) {
    if (posted_.load(std::memory_order_relaxed) != seen) return true;
    cpu_relax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() > until) return false;
  }
}

void Pool::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    if (Job* job = joinable_job()) {
      job->helpers.fetch_add(1, std::memory_order_relaxed);
      lock.unlock();
      take_chunks(*job, /*from_front=*/false);
      // The last touch of *job: once the count is 0 the caller may return and free it. The
      // notification goes through the pool's mutex, so a caller about to sleep cannot miss it.
      const bool last = job->helpers.fetch_sub(1, std::memory_order_acq_rel) == 1;
      lock.lock();
      if (last) done_cv_.notify_all();
      continue;
    }
    const uint64_t seen = posted_.load(std::memory_order_relaxed);
    lock.unlock();
    const bool posted = spin_until_posted(seen);
    lock.lock();
    if (posted) continue;
    ++sleeping_;
    work_cv_.wait(lock, [&] { return stop_ || posted_.load(std::memory_order_relaxed) != seen; });
    --sleeping_;
  }
}

void Pool::run(Job& job) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    while (int(workers_.size()) < job.helpers_wanted)
      workers_.emplace_back([this] { worker_loop(); });
    jobs_.push_back(&job);
    posted_.fetch_add(1, std::memory_order_relaxed);
    wake = sleeping_ > 0;
  }
  if (wake) work_cv_.notify_all();
  take_chunks(job, /*from_front=*/true);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.erase(std::find(jobs_.begin(), jobs_.end(), &job));  // no worker joins after this
  }
  wait_for_helpers(job);
  if (job.error) std::rethrow_exception(job.error);
}

// The helpers still inside a job are each finishing the one chunk they hold: spin for them
// a while (a sleep and wake-up would cost more than most chunks), then sleep.
void Pool::wait_for_helpers(Job& job) {
  const auto until = std::chrono::steady_clock::now() + kSpinBeforeSleep;
  for (int i = 1;; ++i) {
    if (job.helpers.load(std::memory_order_acquire) == 0) return;
    cpu_relax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() > until) break;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_cv_.wait(lock, [&] { return job.helpers.load(std::memory_order_acquire) == 0; });
}

}  // namespace

int num_threads() { return t_threads > 0 ? t_threads : default_threads(); }
void set_num_threads(int n) { t_threads = n < 1 ? 1 : n; }
bool in_parallel() { return t_in_chunk; }

namespace detail {
void run_chunks(int64_t chunks, ChunkFn fn, void* context) {
  if (chunks > int64_t(0xffffffff)) {  // more chunks than a Job counts: more than any tensor has
    for (int64_t c = 0; c < chunks; ++c) fn(context, c);
    return;
  }
  Job job;
  job.fn = fn;
  job.context = context;
  job.left.store(uint64_t(chunks) << 32);  // front 0, back = chunks
  job.helpers_wanted = int(std::min<int64_t>(num_threads(), chunks)) - 1;
  Pool::instance().run(job);
}
}  // namespace detail

}  // namespace ulr
