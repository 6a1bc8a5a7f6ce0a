// parallel_for and its worker pool: every chunk runs once, chunk bounds do not depend on the
// thread count, nested calls run serially, exceptions reach the caller, thread counts belong to
// their thread, and several threads may call at once.
#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "engine/parallel.h"

using namespace ulr;

namespace {

// Which chunk covered each index, and how often.
struct Coverage {
  std::vector<std::atomic<int>> hits;
  std::vector<int64_t> begin_of;
  explicit Coverage(int64_t n) : hits(size_t(n)), begin_of(size_t(n), -1) {}
};

void run_and_check(int64_t n, int64_t grain, int threads) {
  ThreadScope scope(threads);
  Coverage cov(n);
  parallel_for(n, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      cov.hits[size_t(i)]++;
      cov.begin_of[size_t(i)] = begin;
    }
  });
  const int64_t g = grain < 1 ? 1 : grain;
  for (int64_t i = 0; i < n; ++i) {
    CHECK(cov.hits[size_t(i)].load() == 1);
    CHECK(cov.begin_of[size_t(i)] == i / g * g);  // the chunk is [k g, min((k+1) g, n))
  }
}

}  // namespace

TEST_CASE("parallel_for runs every chunk exactly once, whatever the thread count") {
  for (int threads : {1, 2, 3, 8})
    for (int64_t n : {int64_t(1), int64_t(7), int64_t(64), int64_t(1000), int64_t(4097)})
      for (int64_t grain : {int64_t(0), int64_t(1), int64_t(3), int64_t(64), int64_t(5000)})
        run_and_check(n, grain, threads);
  int calls = 0;
  parallel_for(0, 4, [&](int64_t, int64_t) { ++calls; });
  CHECK(calls == 0);
}

TEST_CASE("parallel_for: a nested call runs serially on the chunk's thread") {
  ThreadScope scope(4);
  std::atomic<int> total{0}, nested_off_thread{0};
  parallel_for(16, 1, [&](int64_t, int64_t) {
    CHECK(in_parallel());
    const std::thread::id outer = std::this_thread::get_id();
    parallel_for(10, 1, [&](int64_t b, int64_t e) {
      if (std::this_thread::get_id() != outer) nested_off_thread++;
      total += int(e - b);
    });
  });
  CHECK(total.load() == 160);
  CHECK(nested_off_thread.load() == 0);
  CHECK_FALSE(in_parallel());
}

TEST_CASE("parallel_for rethrows a chunk's exception in the caller, and stays usable") {
  ThreadScope scope(3);
  CHECK_THROWS_WITH_AS(parallel_for(100, 1,
                                    [&](int64_t b, int64_t) {
                                      if (b == 37) throw std::runtime_error("chunk 37 failed");
                                    }),
                       "chunk 37 failed", std::runtime_error);
  CHECK_FALSE(in_parallel());
  run_and_check(1000, 7, 3);
}

TEST_CASE("thread counts belong to their thread") {
  set_num_threads(3);
  int seen_there = -1;
  std::thread other([&] {
    seen_there = num_threads();  // the default, not this thread's 3
    set_num_threads(1);
  });
  other.join();
  CHECK(num_threads() == 3);
  CHECK(seen_there == int(std::max(1u, std::thread::hardware_concurrency())));
  {
    ThreadScope scope(5);
    CHECK(num_threads() == 5);
  }
  CHECK(num_threads() == 3);
  set_num_threads(0);
  CHECK(num_threads() == 1);
  set_num_threads(int(std::max(1u, std::thread::hardware_concurrency())));
}

TEST_CASE("several threads may run parallel_for at once; sums match the serial order") {
  const int64_t n = 20000;
  std::vector<double> expect(8, 0.0);
  for (int t = 0; t < 8; ++t)
    for (int64_t i = 0; i < n; ++i) expect[size_t(t)] += double(i % (t + 3));
  std::vector<double> got(8, 0.0);
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t)
    callers.emplace_back([&, t] {
      set_num_threads(2 + t % 3);
      for (int rep = 0; rep < 20; ++rep) {
        // Per-chunk partial sums added in chunk order: the result is the serial one.
        const int64_t grain = 97;
        std::vector<double> partial(size_t((n + grain - 1) / grain), 0.0);
        parallel_for(n, grain, [&](int64_t b, int64_t e) {
          double s = 0;
          for (int64_t i = b; i < e; ++i) s += double(i % (t + 3));
          partial[size_t(b / grain)] = s;
        });
        double total = 0;
        for (double p : partial) total += p;
        got[size_t(t)] = total;
      }
    });
  for (std::thread& c : callers) c.join();
  for (int t = 0; t < 8; ++t) CHECK(got[size_t(t)] == expect[size_t(t)]);
}
