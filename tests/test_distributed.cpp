// Data-parallel training without MPI: two threads act as two ranks (a Collectives whose rank is
// the calling thread's), so the rank split, the gathering in part order and the validation
// across ranks are checked in every build. Two ranks must give one process's losses with the
// same micro-batches, bit for bit; micro-batches on 1 and 2 threads agree; a micro-batched step
// stays close to the whole-batch one. (tests/cli_mpi.sh does the same under mpirun.)
#include <doctest/doctest.h>

#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "engine/distributed.h"
#include "engine/fileio.h"
#include "engine/parallel.h"
#include "eval/evaluate.h"
#include "train/trainer.h"

using namespace ulr;

namespace {

// N threads as N ranks: each thread says which rank it is (as_rank), allgather waits for all.
class ThreadRanks : public Collectives {
 public:
  explicit ThreadRanks(int n) : size_(n), slots_(size_t(n)) {}
  static void as_rank(int r) { my_rank() = r; }
  int rank() const override { return my_rank(); }
  int size() const override { return size_; }
  void allgather(const void* in, size_t bytes, void* out) override {
    std::unique_lock<std::mutex> lock(mutex_);
    const char* p = static_cast<const char*>(in);
    slots_[size_t(my_rank())].assign(p, p + bytes);
    const int generation = generation_;
    if (++arrived_ == size_) {
      result_.clear();
      for (const auto& s : slots_) result_.insert(result_.end(), s.begin(), s.end());
      arrived_ = 0;
      ++generation_;
      changed_.notify_all();
    } else {
      changed_.wait(lock, [&] { return generation_ != generation; });
    }
    std::memcpy(out, result_.data(), result_.size());
  }
  // Through allgather: every rank's whole send buffer, then this rank's block from each.
  void alltoall(const void* in, size_t bytes, void* out) override {
    std::vector<char> all(bytes * size_t(size_) * size_t(size_));
    allgather(in, bytes * size_t(size_), all.data());
    for (int i = 0; i < size_; ++i)
      std::memcpy(static_cast<char*>(out) + size_t(i) * bytes,
                  all.data() + (size_t(i) * size_t(size_) + size_t(my_rank())) * bytes, bytes);
  }

 private:
  static int& my_rank() {
    thread_local int r = 0;
    return r;
  }
  int size_;
  std::vector<std::vector<char>> slots_;
  std::vector<char> result_;
  int arrived_ = 0, generation_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
};

TrainConfig tiny(Method method) {
  TrainConfig c;
  c.method = method;
  c.model.g_channels = 8, c.model.g_blocks = 1, c.model.g_heads = 2, c.model.g_up_channels = {8, 8, 8};
  c.model.s_channels = {8, 8, 16, 16}, c.model.s_heads = 2, c.model.s_groups = 4, c.model.d_channels = {8};
  c.use_afe = false;
  c.train_views = 24, c.val_views = 40, c.batch = 6;  // 40 views: validation batches split unevenly
  c.stage1_steps = 2, c.steps = 4, c.eval_every = 2, c.warmup = 1, c.lr = 3e-3f;
  return c;
}

std::string fresh(const std::string& name) {
  const std::string d = "/tmp/ulrseg_test_distributed_" + name;
  REQUIRE(std::system(("rm -rf " + d).c_str()) == 0);
  return d;
}

TrainResult run(const TrainConfig& cfg, const ViewSet& train_set, const ViewSet& val_set, const std::string& dir) {
  TrainOptions o;
  o.out_dir = dir, o.quiet = true;
  return train(cfg, train_set, val_set, o);
}

std::string text_of(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f);
  std::string s;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
  std::fclose(f);
  return s;
}

}  // namespace

TEST_CASE("two ranks give one process's losses and validation with the same micro-batches") {
  for (Method m : {Method::Joint, Method::Fjl1, Method::Mmt1}) {
    CAPTURE(method_name(m));
    TrainConfig cfg = tiny(m);
    cfg.micro_batches = 4;  // two parts per rank, of unequal size (6 samples: 1, 2, 1, 2)
    const ViewSet train_set = load_views(cfg, "train", cfg.train_views), val_set = load_views(cfg, "val", cfg.val_views);
    const TrainResult one = run(cfg, train_set, val_set, fresh("one"));
    ThreadRanks ranks(2);
    set_collectives(&ranks);
    TrainResult by_rank[2];
    std::thread other([&] {
      ThreadRanks::as_rank(1);
      by_rank[1] = run(cfg, train_set, val_set, fresh("two-rank1"));
    });
    ThreadRanks::as_rank(0);
    by_rank[0] = run(cfg, train_set, val_set, fresh("two"));
    other.join();
    set_collectives(nullptr);
    for (const TrainResult& r : by_rank) {
      REQUIRE(r.losses.size() == one.losses.size());
      for (size_t i = 0; i < r.losses.size(); ++i) CHECK(r.losses[i] == one.losses[i]);
      CHECK(r.best_val_miou == one.best_val_miou);
    }
    // Rank 0 alone wrote, the same log as the one process.
    CHECK(text_of("/tmp/ulrseg_test_distributed_two/metrics.jsonl").size() > 0);
    CHECK_FALSE(file_exists("/tmp/ulrseg_test_distributed_two-rank1"));
  }
}

TEST_CASE("validation across ranks is the one-process evaluation") {
  TrainConfig cfg = tiny(Method::Fjl1);
  const ViewSet views = load_views(cfg, "val", 70);  // 3 batches of 32 (the last short) for 2 ranks
  const ULRNet net(Method::Fjl1, cfg.model, 3);
  const EvalResult one = evaluate_model(net, views, cfg.sensor_options(false));
  ThreadRanks ranks(2);
  set_collectives(&ranks);
  EvalResult by_rank[2];
  std::thread other([&] {
    ThreadRanks::as_rank(1);
    by_rank[1] = evaluate_across_ranks(net, views, cfg.sensor_options(false));
  });
  ThreadRanks::as_rank(0);
  by_rank[0] = evaluate_across_ranks(net, views, cfg.sensor_options(false));
  other.join();
  set_collectives(nullptr);
  for (const EvalResult& r : by_rank) {
    CHECK(r.frames == 70);
    CHECK(r.cm.to_json().dump() == one.cm.to_json().dump());
    CHECK(r.psnr == one.psnr);
    CHECK(r.ssim == one.ssim);
    CHECK(r.view_miou.size() == one.view_miou.size());
  }
}

TEST_CASE("micro-batches: the same on 1 and 2 threads, and close to the whole batch") {
  TrainConfig cfg = tiny(Method::Fjl1);
  const ViewSet train_set = load_views(cfg, "train", cfg.train_views), val_set = load_views(cfg, "val", 8);
  cfg.micro_batches = 3;
  TrainResult on[2];
  for (int t = 1; t <= 2; ++t) {
    ThreadScope threads(t);
    on[t - 1] = run(cfg, train_set, val_set, fresh("threads"));
  }
  for (size_t i = 0; i < on[0].losses.size(); ++i) CHECK(on[0].losses[i] == on[1].losses[i]);
  // The first step sees the same weights: its loss is the whole batch's up to summation order.
  cfg.micro_batches = 1;
  const TrainResult whole = run(cfg, train_set, val_set, fresh("whole"));
  CHECK(std::fabs(on[0].losses[0] - whole.losses[0]) <= 1e-6 * std::fabs(whole.losses[0]));
}
