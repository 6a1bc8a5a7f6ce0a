// The worker pool behind parallel_for (see parallel.h for what it promises).
//
// A parallel_for posts a Job, notifies the workers and takes chunks itself. A free worker joins a
// job that still has chunks and room for a helper, and takes chunks from the same counter. When
// the counter is exhausted the caller withdraws the job (no worker can join after that) and waits
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
  int64_t chunks;
  int helpers_wanted;             // workers that may join: the caller's thread count - 1
  std::atomic<int64_t> next{0};   // next chunk to hand out
  int helpers = 0;                // workers inside the job (guarded by the pool's mutex)
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
  void take_chunks(Job& job);
  Job* joinable_job();  // requires mutex_
  void worker_loop();
  bool spin_until_posted(uint64_t seen) const;

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

void Pool::take_chunks(Job& job) {
  t_in_chunk = true;
  for (int64_t c; (c = job.next.fetch_add(1, std::memory_order_relaxed)) < job.chunks;) {
    try {
      job.fn(job.context, c);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!job.error) job.error = std::current_exception();
      job.next.store(job.chunks, std::memory_order_relaxed);  // skip the chunks not yet started
    }
  }
  t_in_chunk = false;
}

Job* Pool::joinable_job() {
  for (Job* job : jobs_)
    if (job->helpers < job->helpers_wanted &&
        job->next.load(std::memory_order_relaxed) < job->chunks)
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
      ++job->helpers;
      lock.unlock();
      take_chunks(*job);
      lock.lock();
      if (--job->helpers == 0) done_cv_.notify_all();  // the last touch of *job
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
  take_chunks(job);
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    jobs_.erase(std::find(jobs_.begin(), jobs_.end(), &job));
    done_cv_.wait(lock, [&] { return job.helpers == 0; });
    error = job.error;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace

int num_threads() { return t_threads > 0 ? t_threads : default_threads(); }
void set_num_threads(int n) { t_threads = n < 1 ? 1 : n; }
bool in_parallel() { return t_in_chunk; }

namespace detail {
void run_chunks(int64_t chunks, ChunkFn fn, void* context) {
  Job job;
  job.fn = fn;
  job.context = context;
  job.chunks = chunks;
  job.helpers_wanted = int(std::min<int64_t>(num_threads(), chunks)) - 1;
  Pool::instance().run(job);
}
}  // namespace detail

}  // namespace ulr
