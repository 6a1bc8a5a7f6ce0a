#include "data/loader.h"

#include <algorithm>
#include <cstring>
#include <exception>

#include "engine/error.h"
#include "engine/parallel.h"

namespace ulr {

// ---- SyntheticDataset -----------------------------------------------------------------------

SyntheticDataset::SyntheticDataset(uint64_t seed, Split split, int64_t count, int height,
                                   int width)
    : source_(seed, split), count_(count), height_(height), width_(width) {
  if (count < 0) throw Error("synthetic dataset: count " + std::to_string(count) + " < 0");
  if (height < 1 || width < 1)
    throw Error("synthetic dataset: size " + std::to_string(height) + "x" +
                std::to_string(width) + " must be positive");
}

Sample SyntheticDataset::get(int64_t i) const {
  if (i < 0 || i >= count_)
    throw Error(std::string("synthetic dataset: sample ") + std::to_string(i) +
                " out of range [0, " + std::to_string(count_) + ")");
  SyntheticSample s = source_.sample(i, height_, width_);
  Sample out;
  out.rgb = s.rgb;
  out.labels = std::move(s.labels);
  out.identity = std::move(s.identity);
  out.name = std::string(split_name(source_.split())) + "/" + std::to_string(i);
  return out;
}

// ---- seeds and order ------------------------------------------------------------------------

namespace {

// SplitMix64's finaliser: spreads (seed, epoch, index) into unrelated generator seeds.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

constexpr uint64_t kShuffleStream = 0x53485546ull;  // "SHUF"
constexpr uint64_t kSampleStream = 0x41554731ull;   // "AUG1"

}  // namespace

Rng sample_rng(uint64_t seed, int64_t epoch, int64_t index) {
  return Rng(mix(mix(mix(seed) ^ uint64_t(epoch)) ^ uint64_t(index)), kSampleStream);
}

std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int64_t epoch, bool shuffle) {
  std::vector<int64_t> order(size_t(std::max<int64_t>(n, 0)));
  for (int64_t i = 0; i < n; ++i) order[size_t(i)] = i;
  if (!shuffle) return order;
  if (n > int64_t(UINT32_MAX)) throw Error("epoch_order: more than 2^32 samples");
  Rng rng(mix(mix(seed) ^ uint64_t(epoch)), kShuffleStream);
  for (int64_t i = n - 1; i > 0; --i)  // Fisher-Yates
    std::swap(order[size_t(i)], order[rng.below(uint32_t(i + 1))]);
  return order;
}

// ---- augmentation ---------------------------------------------------------------------------

namespace {

template <class T>
void flip_map(IntTensor<T>& m) {
  if (m.shape.rank < 2) return;
  const int64_t W = m.shape[-1], rows = m.numel() / std::max<int64_t>(1, W);
  for (int64_t r = 0; r < rows; ++r) std::reverse(&m.data[size_t(r * W)], &m.data[size_t(r * W)] + W);
}

float clamp01(float v) { return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f; }

}  // namespace

void augment_sample(Sample& s, const AugmentOptions& opt, Rng& rng) {
  // Every draw happens whatever is enabled, so the stream stays aligned.
  const bool flip = rng.uniform() < 0.5f;
  const float b = 1.0f + opt.brightness * rng.uniform(-1.0f, 1.0f);
  const float c = 1.0f + opt.contrast * rng.uniform(-1.0f, 1.0f);
  const float sat = 1.0f + opt.saturation * rng.uniform(-1.0f, 1.0f);
  const bool do_flip = opt.hflip && flip;
  const bool jitter = opt.brightness > 0 || opt.contrast > 0 || opt.saturation > 0;
  if (!do_flip && !jitter) return;

  if (!s.rgb.defined() || s.rgb.rank() != 3 || s.rgb.size(0) != 3)
    throw Error("augment: sample " + s.name + " is not a (3,H,W) image");
  Tensor rgb = s.rgb.clone();  // the dataset may share its tensor
  const int64_t H = rgb.size(1), W = rgb.size(2), P = H * W;
  float* px = rgb.data();  // (3,H,W)
  if (do_flip) {
    for (int64_t r = 0; r < 3 * H; ++r) std::reverse(px + r * W, px + (r + 1) * W);
    flip_map(s.labels);
    flip_map(s.identity);
  }
  if (jitter) {
    float* R = px;
    float* G = px + P;
    float* B = px + 2 * P;
    // Brightness, then contrast around the mean grey, then saturation around each pixel's grey,
    // clamping after each step as torchvision's ColorJitter does.
    for (int64_t i = 0; i < 3 * P; ++i) px[i] = clamp01(px[i] * b);
    double grey_sum = 0;
    for (int64_t i = 0; i < P; ++i) grey_sum += 0.299f * R[i] + 0.587f * G[i] + 0.114f * B[i];
    const float mean = float(grey_sum / double(std::max<int64_t>(P, 1)));
    for (int64_t i = 0; i < 3 * P; ++i) px[i] = clamp01(c * px[i] + (1.0f - c) * mean);
    for (int64_t i = 0; i < P; ++i) {
      const float g = 0.299f * R[i] + 0.587f * G[i] + 0.114f * B[i];
      R[i] = clamp01(sat * R[i] + (1.0f - sat) * g);
      G[i] = clamp01(sat * G[i] + (1.0f - sat) * g);
      B[i] = clamp01(sat * B[i] + (1.0f - sat) * g);
    }
  }
  s.rgb = rgb;
}

// ---- BatchLoader ----------------------------------------------------------------------------

struct BatchLoader::Slot {
  int64_t epoch = 0, number = 0;
  std::vector<int64_t> indices;
  std::vector<Sample> samples;
  std::vector<Tensor> ulr;
  std::vector<std::exception_ptr> errors;
  int pending = 0;     // rows not yet made
  bool ready = false;  // batch assembled (or failed)
  Batch batch;
  std::exception_ptr error;
};

namespace {

// Stacks the rows of a slot into batch tensors. Throws Error when sizes differ.
void assemble(std::vector<Sample>& rows, std::vector<Tensor>& ulr, Batch& b) {
  const int64_t N = int64_t(rows.size());
  const Sample& first = rows[0];
  const int64_t H = first.rgb.size(1), W = first.rgb.size(2);
  const bool has_identity = first.identity.shape.rank == 3;
  for (const Sample& s : rows) {
    if (s.rgb.shape() != Shape({3, H, W}) || s.labels.shape != Shape({1, H, W}))
      throw Error("batch: sample " + s.name + " has image " + s.rgb.shape().str() + " and labels " +
                  s.labels.shape.str() + ", sample " + first.name + " has image " +
                  first.rgb.shape().str() + " (fit folder datasets to one size)");
    if (has_identity != (s.identity.shape.rank == 3) ||
        (has_identity && s.identity.shape != Shape({1, H, W})))
      throw Error("batch: sample " + s.name + " has an identity map unlike sample " + first.name);
  }
  b.hr = Tensor::empty({N, 3, H, W});
  b.labels = Labels(Shape{N, H, W});
  if (has_identity) b.identity = IntTensor<int16_t>(Shape{N, H, W});
  for (int64_t n = 0; n < N; ++n) {
    std::memcpy(b.hr.data() + n * 3 * H * W, rows[size_t(n)].rgb.data(), sizeof(float) * 3 * H * W);
    std::copy(rows[size_t(n)].labels.data.begin(), rows[size_t(n)].labels.data.end(),
              b.labels.data.begin() + n * H * W);
    if (has_identity)
      std::copy(rows[size_t(n)].identity.data.begin(), rows[size_t(n)].identity.data.end(),
                b.identity.data.begin() + n * H * W);
  }
  if (!ulr.empty() && ulr[0].defined()) {
    const Shape us = ulr[0].shape();  // (3,h,w)
    b.ulr = Tensor::empty({N, us[0], us[1], us[2]});
    for (int64_t n = 0; n < N; ++n)
      std::memcpy(b.ulr.data() + n * us.numel(), ulr[size_t(n)].data(), sizeof(float) * us.numel());
  }
}

}  // namespace

BatchLoader::BatchLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions opt)
    : dataset_(std::move(dataset)), opt_(opt) {
  if (!dataset_) throw Error("loader: no dataset");
  if (opt_.batch_size < 1) throw Error("loader: batch size " + std::to_string(opt_.batch_size) + " < 1");
  if (opt_.workers < 0) throw Error("loader: workers " + std::to_string(opt_.workers) + " < 0");
  if (opt_.prefetch < 1) throw Error("loader: prefetch " + std::to_string(opt_.prefetch) + " < 1");
  if (dataset_->size() == 0) throw Error("loader: the dataset is empty");
  if (opt_.drop_last && dataset_->size() < opt_.batch_size)
    throw Error("loader: " + std::to_string(dataset_->size()) + " samples make no full batch of " +
                std::to_string(opt_.batch_size));
  epoch_ = -1;  // nothing scheduled until start_epoch() or next()
  for (int w = 0; w < opt_.workers; ++w) threads_.emplace_back([this] { worker_loop(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

int64_t BatchLoader::batches_per_epoch() const {
  const int64_t n = dataset_->size(), b = opt_.batch_size;
  return opt_.drop_last ? n / b : (n + b - 1) / b;
}

void BatchLoader::start_epoch(int64_t epoch) {
  std::lock_guard<std::mutex> lock(mutex_);
  tasks_.clear();
  slots_.clear();  // a worker still busy with an old slot keeps it alive and finishes alone
  epoch_ = epoch;
  order_ = epoch_order(dataset_->size(), opt_.seed, epoch, opt_.shuffle);
  next_number_ = scheduled_ = 0;
  schedule_locked();
}

std::shared_ptr<BatchLoader::Slot> BatchLoader::make_slot(int64_t number) const {
  auto slot = std::make_shared<Slot>();
  slot->epoch = epoch_;
  slot->number = number;
  const int64_t begin = number * opt_.batch_size;
  const int64_t end = std::min<int64_t>(begin + opt_.batch_size, int64_t(order_.size()));
  slot->indices.assign(order_.begin() + begin, order_.begin() + end);
  const size_t rows = slot->indices.size();
  slot->samples.resize(rows);
  slot->ulr.resize(rows);
  slot->errors.resize(rows);
  slot->pending = int(rows);
  return slot;
}

void BatchLoader::schedule_locked() {
  if (threads_.empty()) return;  // no workers: next() makes each batch itself
  bool added = false;
  while (scheduled_ < batches_per_epoch() && int(slots_.size()) < opt_.prefetch) {
    std::shared_ptr<Slot> slot = make_slot(scheduled_++);
    for (int r = 0; r < slot->pending; ++r) tasks_.push_back({slot, r});
    slots_.push_back(slot);
    added = true;
  }
  if (added) work_cv_.notify_all();
}

void BatchLoader::make_sample(Slot& slot, int row) const {
  try {
    const int64_t index = slot.indices[size_t(row)];
    Sample s = dataset_->get(index);
    Rng rng = sample_rng(opt_.seed, slot.epoch, index);
    augment_sample(s, opt_.augment, rng);
    if (opt_.capture) slot.ulr[size_t(row)] = sensor_capture(s.rgb, opt_.sensor, &rng);
    slot.samples[size_t(row)] = std::move(s);
  } catch (...) {
    slot.errors[size_t(row)] = std::current_exception();
  }
}

// Runs once every row of a slot is made: keeps the first failed row's error, else the batch.
void BatchLoader::finish_slot(Slot& slot) {
  for (auto& e : slot.errors)
    if (e) {
      slot.error = e;
      return;
    }
  try {
    assemble(slot.samples, slot.ulr, slot.batch);
    slot.batch.indices = slot.indices;
    slot.batch.epoch = slot.epoch;
    slot.batch.number = slot.number;
  } catch (...) {
    slot.error = std::current_exception();
  }
  slot.samples.clear();
  slot.ulr.clear();
}

void BatchLoader::worker_loop() {
  // Each worker makes whole samples; a renderer's own parallel_for loops run on this thread alone, so
  // the workers do not oversubscribe the cores.
  set_num_threads(1);
  while (true) {
    std::shared_ptr<Slot> slot;
    int row = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
      if (stop_) return;
      slot = tasks_.front().first;
      row = tasks_.front().second;
      tasks_.pop_front();
    }
    make_sample(*slot, row);
    bool last;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last = --slot->pending == 0;
    }
    if (!last) continue;
    finish_slot(*slot);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slot->ready = true;
    }
    done_cv_.notify_all();
  }
}

bool BatchLoader::next(Batch& out) {
  if (epoch_ < 0) start_epoch(0);
  std::shared_ptr<Slot> slot;
  if (threads_.empty()) {
    if (next_number_ >= batches_per_epoch()) return false;
    slot = make_slot(next_number_);
    for (int r = 0; r < slot->pending; ++r) make_sample(*slot, r);
    finish_slot(*slot);
  } else {
    std::unique_lock<std::mutex> lock(mutex_);
    if (next_number_ >= batches_per_epoch()) return false;
    schedule_locked();
    slot = slots_.front();
    done_cv_.wait(lock, [&] { return slot->ready; });
    slots_.pop_front();
    schedule_locked();  // keep `prefetch` batches in the making while the caller works
  }
  ++next_number_;
  if (slot->error) std::rethrow_exception(slot->error);
  out = std::move(slot->batch);
  return true;
}

}  // namespace ulr
