// A set of labelled views held in memory (HR images and class maps): what training, validation
// and evaluation iterate over. Built by rendering synthetic apartments or by reading a folder
// dataset, and served to a BatchLoader through ViewSetDataset.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "data/loader.h"
#include "engine/image.h"
#include "engine/tensor.h"

namespace ulr {

struct ViewSet {
  Tensor hr;      // (N,3,H,W) in [0,1]
  Labels labels;  // (N,H,W) class ids, 255 = ignore
  int64_t size() const { return hr.defined() ? hr.size(0) : 0; }
};

// Reads samples 0..count-1 of a dataset (count clamped to its size) into memory, in parallel,
// one sample per task into its own slot: identical for any thread count. Every sample must be
// height x width. Throws the Error of the first failing sample.
ViewSet read_view_set(const Dataset& dataset, int64_t count, int height, int width);

// `data` is "synthetic" (views of split rendered from seed) or a folder dataset's path (its
// split, fitted to height x width; max_pixels bounds each file's size). count limits the
// number of views.
ViewSet load_view_set(const std::string& data, uint64_t seed, const std::string& split,
                      int64_t count, int height, int width,
                      int64_t max_pixels = kDefaultMaxPixels);

// A ViewSet as a Dataset (for BatchLoader): sample i is a copy of view i.
class ViewSetDataset : public Dataset {
 public:
  explicit ViewSetDataset(const ViewSet& views) : views_(views) {}
  int64_t size() const override { return views_.size(); }
  Sample get(int64_t i) const override;

 private:
  ViewSet views_;  // shares the tensors
};

}  // namespace ulr
