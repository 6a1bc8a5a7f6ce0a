// BatchLoader: batches are bit-identical for any worker count, epochs are shuffled differently
// but reproducibly, augmentation moves labels with the image, errors reach the caller.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "data/classes.h"
#include "data/loader.h"
#include "engine/error.h"

#include "gradcheck.h"

using namespace ulr;

namespace {

// Sample i: pixel values and labels that encode i, so a batch row says which sample it holds.
class MemoryDataset : public Dataset {
 public:
  MemoryDataset(int64_t n, int h, int w, int64_t bad_index = -1)
      : n_(n), h_(h), w_(w), bad_(bad_index) {}
  int64_t size() const override { return n_; }
  Sample get(int64_t i) const override {
    if (i == bad_) throw Error("mem/" + std::to_string(i) + ".png: broken on purpose");
    Rng rng(99, uint64_t(i));
    Sample s;
    s.rgb = Tensor::empty({3, h_, w_});
    for (int64_t k = 0; k < s.rgb.numel(); ++k) s.rgb.data()[k] = rng.uniform();
    s.labels = Labels(Shape{1, h_, w_});
    for (size_t k = 0; k < s.labels.data.size(); ++k)
      s.labels.data[k] = uint8_t((i + int64_t(k)) % kNumClasses);
    s.name = "mem/" + std::to_string(i);
    return s;
  }

 private:
  int64_t n_;
  int h_, w_;
  int64_t bad_;
};

struct EpochBatches {
  std::vector<std::vector<float>> hr, ulr;
  std::vector<std::vector<uint8_t>> labels;
  std::vector<std::vector<int16_t>> identity;
  std::vector<int64_t> indices;
};

EpochBatches run_epoch(BatchLoader& loader, int64_t epoch) {
  EpochBatches out;
  loader.start_epoch(epoch);
  Batch b;
  int64_t number = 0;
  while (loader.next(b)) {
    CHECK(b.epoch == epoch);
    CHECK(b.number == number++);
    out.hr.push_back(b.hr.to_vector());
    if (b.ulr.defined()) out.ulr.push_back(b.ulr.to_vector());
    out.labels.push_back(b.labels.data);
    out.identity.push_back(b.identity.data);
    out.indices.insert(out.indices.end(), b.indices.begin(), b.indices.end());
  }
  CHECK(number == loader.batches_per_epoch());
  return out;
}

LoaderOptions full_options(int workers) {
  LoaderOptions opt;
  opt.batch_size = 4;
  opt.workers = workers;
  opt.seed = 1234;
  opt.augment.hflip = true;
  opt.augment.brightness = 0.3f;
  opt.augment.contrast = 0.3f;
  opt.augment.saturation = 0.3f;
  opt.capture = true;
  opt.sensor.out_h = 4;
  opt.sensor.out_w = 4;
  opt.sensor.noise_sigma = 0.02f;
  return opt;
}

using test::error_of;

}  // namespace

TEST_CASE("batches are identical for 0, 1 and 3 workers") {
  auto ds = std::make_shared<MemoryDataset>(23, 8, 8);
  BatchLoader l0(ds, full_options(0)), l1(ds, full_options(1)), l3(ds, full_options(3));
  CHECK(l3.batches_per_epoch() == 6);
  for (int64_t epoch : {0, 1, 5}) {
    EpochBatches a = run_epoch(l0, epoch), b = run_epoch(l1, epoch), c = run_epoch(l3, epoch);
    REQUIRE(a.hr.size() == 6);
    CHECK(a.hr.back().size() == size_t(3 * 3 * 8 * 8));  // the last batch holds 23 - 20 = 3
    CHECK(a.ulr.back().size() == size_t(3 * 3 * 4 * 4));
    CHECK(a.hr == b.hr);
    CHECK(a.hr == c.hr);
    CHECK(a.ulr == b.ulr);
    CHECK(a.ulr == c.ulr);
    CHECK(a.labels == c.labels);
    CHECK(a.indices == c.indices);
  }
}

TEST_CASE("each epoch is a different permutation, reproducible from the seed") {
  auto ds = std::make_shared<MemoryDataset>(23, 4, 4);
  LoaderOptions opt;
  opt.batch_size = 5;
  opt.workers = 2;
  opt.seed = 7;
  BatchLoader loader(ds, opt);
  EpochBatches e0 = run_epoch(loader, 0), e1 = run_epoch(loader, 1);
  std::vector<int64_t> sorted = e0.indices;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 23; ++i) CHECK(sorted[size_t(i)] == i);  // every sample once
  CHECK(e0.indices != e1.indices);
  CHECK(run_epoch(loader, 0).indices == e0.indices);  // epochs can be replayed
  BatchLoader again(ds, opt);
  CHECK(run_epoch(again, 1).indices == e1.indices);
  opt.seed = 8;
  BatchLoader other(ds, opt);
  CHECK(run_epoch(other, 0).indices != e0.indices);
  CHECK(epoch_order(23, 7, 0, true) == e0.indices);

  opt.shuffle = false;
  opt.drop_last = true;
  BatchLoader plain(ds, opt);
  CHECK(plain.batches_per_epoch() == 4);
  EpochBatches p = run_epoch(plain, 3);
  for (int64_t i = 0; i < 20; ++i) CHECK(p.indices[size_t(i)] == i);
  // Without augmentation the batch holds the samples themselves.
  CHECK(std::vector<float>(p.hr[1].begin(), p.hr[1].begin() + 48) == ds->get(5).rgb.to_vector());
}

TEST_CASE("a new epoch may start before the previous one is consumed") {
  auto ds = std::make_shared<MemoryDataset>(40, 4, 4);
  LoaderOptions opt;
  opt.batch_size = 4;
  opt.workers = 3;
  opt.prefetch = 3;
  BatchLoader loader(ds, opt);
  loader.start_epoch(0);
  Batch b;
  REQUIRE(loader.next(b));
  loader.start_epoch(1);
  REQUIRE(loader.next(b));
  CHECK(b.epoch == 1);
  CHECK(b.number == 0);
  std::vector<int64_t> want = epoch_order(40, 0, 1, true);
  CHECK(b.indices == std::vector<int64_t>(want.begin(), want.begin() + 4));
}

TEST_CASE("augmentation: flip moves labels with pixels, jitter stays in range") {
  MemoryDataset ds(1, 3, 5);
  Sample base = ds.get(0);
  AugmentOptions flip_only;
  flip_only.hflip = true;
  int flips = 0;
  for (int64_t e = 0; e < 40; ++e) {
    Sample s = ds.get(0);
    Rng rng = sample_rng(1, e, 0);
    augment_sample(s, flip_only, rng);
    const bool flipped = s.labels.data[0] != base.labels.data[0];
    flips += flipped;
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 5; ++x) {
        const int sx = flipped ? 4 - x : x;
        CHECK(s.labels.data[size_t(y * 5 + x)] == base.labels.data[size_t(y * 5 + sx)]);
        CHECK(s.rgb.data()[(2 * 3 + y) * 5 + x] == base.rgb.data()[(2 * 3 + y) * 5 + sx]);
      }
  }
  CHECK(flips > 5);
  CHECK(flips < 35);
  // The dataset's own tensor is never modified.
  CHECK(ds.get(0).rgb.to_vector() == base.rgb.to_vector());

  AugmentOptions jitter;
  jitter.brightness = jitter.contrast = jitter.saturation = 0.5f;
  Sample s = ds.get(0);
  Rng rng = sample_rng(3, 0, 0);
  augment_sample(s, jitter, rng);
  CHECK(s.rgb.to_vector() != base.rgb.to_vector());
  for (float v : s.rgb.to_vector()) {
    CHECK(v >= 0.0f);
    CHECK(v <= 1.0f);
  }
  CHECK(s.labels.data == base.labels.data);

  // Brightness alone scales every value by the same factor (before clamping).
  AugmentOptions bright;
  bright.brightness = 0.2f;
  Sample t = ds.get(0);
  Rng r2 = sample_rng(4, 0, 0);
  augment_sample(t, bright, r2);
  const float factor = t.rgb.data()[0] / base.rgb.data()[0];
  CHECK(factor >= 0.8f);
  CHECK(factor <= 1.2f);
  for (int64_t k = 0; k < t.rgb.numel(); ++k)
    CHECK(t.rgb.data()[k] == doctest::Approx(std::min(1.0f, base.rgb.data()[k] * factor)));
}

TEST_CASE("a failing sample surfaces as an Error from next()") {
  auto ds = std::make_shared<MemoryDataset>(12, 4, 4, /*bad_index=*/6);
  for (int workers : {0, 2}) {
    LoaderOptions opt;
    opt.batch_size = 4;
    opt.workers = workers;
    opt.shuffle = false;
    BatchLoader loader(ds, opt);
    Batch b;
    CHECK(loader.next(b));
    CHECK(error_of([&] { loader.next(b); }) == "mem/6.png: broken on purpose");
    CHECK(loader.next(b));  // the loader goes on with the next batch
    CHECK(b.indices[0] == 8);
    CHECK_FALSE(loader.next(b));
  }
  LoaderOptions bad;
  bad.batch_size = 0;
  CHECK(error_of([&] { BatchLoader l(ds, bad); }) == "loader: batch size 0 < 1");
}

TEST_CASE("synthetic views batch with identities, identically for any worker count") {
  auto ds = std::make_shared<SyntheticDataset>(3, Split::Train, 6, 16, 16);
  LoaderOptions opt = full_options(0);
  opt.batch_size = 3;
  BatchLoader serial(ds, opt);
  opt.workers = 2;
  BatchLoader threaded(ds, opt);
  EpochBatches a = run_epoch(serial, 2), b = run_epoch(threaded, 2);
  REQUIRE(a.hr.size() == 2);
  CHECK(a.hr == b.hr);
  CHECK(a.ulr == b.ulr);
  CHECK(a.labels == b.labels);
  CHECK(a.identity == b.identity);
  CHECK(a.identity[0].size() == size_t(3 * 16 * 16));
}
