// Datasets and batching. A Dataset hands out samples (an HR RGB view, its label map and, for
// synthetic views, the identity map) by index; FolderDataset (data/folder.h) and
// SyntheticDataset (below) implement it. A BatchLoader shuffles a Dataset per epoch, augments
// each sample, optionally captures it with the ULR sensor, and assembles batches on worker
// threads while the caller works on the previous batch.
//
// Determinism: the epoch's order comes from Rng(seed, epoch), and every random choice made for
// a sample (flip, jitter, sensor noise) comes from an Rng seeded by (seed, epoch, dataset index)
// alone. Workers only decide *when* a sample is made, never *what*, so batches are bit-identical
// for any number of workers.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "data/sensor.h"
#include "data/synthetic.h"
#include "engine/tensor.h"

namespace ulr {

struct Sample {
  Tensor rgb;                   // (3,H,W) float in [0, 1]
  Labels labels;                // (1,H,W) class ids, 255 = ignore
  IntTensor<int16_t> identity;  // (1,H,W) person identity, -1 elsewhere; rank 0 when unknown
  std::string name;             // for messages: a file stem or "train/17"
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  // Sample i, 0 <= i < size(). Must be safe to call from several threads at once. Throws Error
  // naming the file or sample on bad data.
  virtual Sample get(int64_t i) const = 0;
};

// The synthetic apartments (data/synthetic.h) as a Dataset of `count` views at height x width.
class SyntheticDataset : public Dataset {
 public:
  // Throws Error for count < 0 or a non-positive size.
  SyntheticDataset(uint64_t seed, Split split, int64_t count, int height, int width);
  int64_t size() const override { return count_; }
  Sample get(int64_t i) const override;
  const SyntheticSource& source() const { return source_; }

 private:
  SyntheticSource source_;
  int64_t count_;
  int height_, width_;
};

// Augmentation applied per sample, in this order: horizontal flip (image and maps), brightness
// (multiply by b), contrast (blend with the image's mean grey by c), saturation (blend with each
// pixel's grey by s), clamp to [0, 1]. b, c, s are drawn uniformly from [1 - x, 1 + x].
struct AugmentOptions {
  bool hflip = false;       // flip with probability 1/2
  float brightness = 0.0f;  // x for b
  float contrast = 0.0f;    // x for c
  float saturation = 0.0f;  // x for s
};

struct LoaderOptions {
  int batch_size = 16;
  bool shuffle = true;
  bool drop_last = false;  // drop a final batch smaller than batch_size
  int workers = 2;         // worker threads; 0 assembles batches in the calling thread
  int prefetch = 2;        // batches assembled ahead of the one being consumed
  uint64_t seed = 0;
  AugmentOptions augment;
  // When set, each batch also carries the sensor's capture of the (augmented) HR view; read
  // noise is drawn from the sample's own Rng.
  bool capture = false;
  SensorOptions sensor;
};

struct Batch {
  Tensor hr;                    // (N,3,H,W) augmented HR views
  Labels labels;                // (N,H,W)
  Tensor ulr;                   // (N,3,h,w) when LoaderOptions::capture, else undefined
  IntTensor<int16_t> identity;  // (N,H,W) when the dataset has identities, else rank 0
  std::vector<int64_t> indices; // dataset index of each row
  int64_t epoch = 0, number = 0;  // which epoch, and the batch's position within it
};

// Applies `opt` to one sample in place, drawing from `rng` in a fixed order (flip, brightness,
// contrast, saturation), whether or not each augmentation is enabled, so that turning one on
// does not change the draws of the others.
void augment_sample(Sample& sample, const AugmentOptions& opt, Rng& rng);
// The Rng of sample `index` in `epoch`; what augment_sample and the sensor noise draw from.
Rng sample_rng(uint64_t seed, int64_t epoch, int64_t index);
// The order of an epoch: a permutation of [0, n) from Rng(seed, epoch), or identity order.
std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int64_t epoch, bool shuffle);

class BatchLoader {
 public:
  // Throws Error for batch_size < 1, workers < 0, prefetch < 1 or an empty dataset.
  BatchLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions opt);
  ~BatchLoader();  // stops the workers (waiting for samples in progress)
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  int64_t batches_per_epoch() const;
  // Starts `epoch` (any epoch, in any order): discards batches of the previous one.
  void start_epoch(int64_t epoch);
  // The next batch of the current epoch; false when the epoch is done. Rethrows the Error of a
  // sample that failed (the first failing sample of the batch).
  bool next(Batch& out);

 private:
  struct Slot;  // one batch being assembled
  std::shared_ptr<Slot> make_slot(int64_t number) const;  // batch `number` of the epoch
  void make_sample(Slot& slot, int row) const;             // fills row; errors kept per row
  static void finish_slot(Slot& slot);                     // stacks the rows into the batch
  void schedule_locked();  // queues batches up to `prefetch` ahead (with workers)
  void worker_loop();

  std::shared_ptr<const Dataset> dataset_;
  LoaderOptions opt_;
  int64_t epoch_ = 0, next_number_ = 0, scheduled_ = 0;
  std::vector<int64_t> order_;
  std::deque<std::shared_ptr<Slot>> slots_;      // scheduled batches, oldest first
  std::deque<std::pair<std::shared_ptr<Slot>, int>> tasks_;  // (batch, row) not yet started
  std::mutex mutex_;
  std::condition_variable work_cv_, done_cv_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ulr
