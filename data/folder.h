// Folder datasets (docs/DATASETS.md): how real data comes in, and what
// `ulrseg data gen` writes.
//
//   DIR/dataset.json        {"format": "ulrseg-folder", "version": 1,
//                            "classes": [names in id order], "ignore_index": 255,
//                            "splits": {"train": [NAME, ...], "val": [...], "test": [...]}}
//   DIR/images/NAME.png     RGB (or grey) image; .jpg / .jpeg also accepted
//   DIR/labels/NAME.png     8-bit single-channel class ids, same size as the image
//
// Everything is validated, and every problem is one line naming the file: a missing or
// malformed dataset.json (unknown keys included), a missing image or label, a size mismatch,
// a label value that is neither a class id nor the ignore index, a truncated or unreadable
// image, a label PNG with more than one channel or more than 8 bits.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "data/loader.h"
#include "engine/image.h"
#include "engine/json.h"

namespace ulr {

struct FolderManifest {
  std::vector<std::string> classes;  // names, index = class id
  int ignore_index = 255;            // label value with no class; becomes 255 when loaded
  std::vector<std::pair<std::string, std::vector<std::string>>> splits;  // in file order

  // The names of a split; nullptr when there is no such split.
  const std::vector<std::string>* split(const std::string& name) const;
  Json to_json() const;
};

// Reads and validates DIR/dataset.json. Throws Error("DIR/dataset.json: problem").
FolderManifest read_manifest(const std::string& dir);
// Validates a parsed manifest; `label` names the file in errors.
FolderManifest parse_manifest(const Json& json, const std::string& label);
// True for a usable sample or split name: 1-200 characters of [A-Za-z0-9._-], not starting
// with '.'.
bool valid_sample_name(const std::string& name);
// Throws Error("LABEL: classes differ from ulrseg's class table ...") unless the manifest's
// classes are exactly data/classes.h's table, in order.
void require_project_classes(const FolderManifest& manifest, const std::string& label);

// An image and its label file, both read and checked before either is decoded: the label must
// be an 8-bit single-channel PNG of the image's size (a palette, channels or other bit depths
// would change the ids when decoded). Throws Error("LABEL: missing label for image IMAGE") when
// the label file does not exist, and every Error of read_image_file and decode_image.
struct LabelledImage {
  Image image, labels;  // labels: 1 channel
};
LabelledImage read_labelled_image(const std::string& image_path, const std::string& label_path,
                                  int64_t max_pixels = kDefaultMaxPixels);

struct FolderOptions {
  // When both are > 0, every sample is fitted to height x width (centre crop to the aspect,
  // then area average; labels by majority vote: data/sensor.h) so that batches can be formed
  // from images of mixed sizes. 0: samples keep their own size.
  int height = 0, width = 0;
  int64_t max_pixels = kDefaultMaxPixels;  // the most pixels an image or label may declare
};

class FolderDataset : public Dataset {
 public:
  // Opens one split of the dataset in DIR: reads and validates dataset.json (no image is read
  // yet). Throws Error naming the file, or when the split does not exist.
  static std::shared_ptr<FolderDataset> open(const std::string& dir, const std::string& split,
                                             FolderOptions options = {});

  int64_t size() const override { return int64_t(names_.size()); }
  // Reads and checks image and label i; throws Error("FILE: problem").
  Sample get(int64_t i) const override;
  // Reads every sample of the split once; throws the first problem found.
  void validate() const;

  const FolderManifest& manifest() const { return manifest_; }
  const std::string& dir() const { return dir_; }
  const std::string& split() const { return split_; }
  // The image file of sample i (the first of NAME.png, NAME.jpg, NAME.jpeg that exists) and
  // its label file. image_path throws Error when none exists.
  std::string image_path(int64_t i) const;
  std::string label_path(int64_t i) const;

 private:
  std::string dir_, split_;
  FolderManifest manifest_;
  std::vector<std::string> names_;
  FolderOptions options_;
};

// Writes a folder dataset. Images and labels are written atomically as they come;
// dataset.json is written last (finish()), so a reader never sees a split listing files that
// are not there yet. Opening an existing DIR keeps its other splits.
class FolderWriter {
 public:
  // Creates DIR, DIR/images and DIR/labels. When DIR/dataset.json exists it is read (and
  // validated) and its classes and ignore index must match. Throws Error naming the file.
  FolderWriter(const std::string& dir, std::vector<std::string> classes, int ignore_index = 255);

  // Writes images/NAME.png and labels/NAME.png. rgb (3,H,W) in [0, 1], labels (1,H,W) with
  // values < classes.size() or == ignore_index. Safe to call from several threads for
  // different names. Throws Error for a bad name, mismatched shapes, bad values or I/O errors.
  void write_sample(const std::string& name, const Tensor& rgb, const Labels& labels) const;
  // Sets a split's names (replacing the split if it exists, else appending it).
  void set_split(const std::string& split, std::vector<std::string> names);
  // Writes DIR/dataset.json atomically.
  void finish() const;

  const std::string& dir() const { return dir_; }
  const FolderManifest& manifest() const { return manifest_; }

 private:
  std::string dir_;
  FolderManifest manifest_;
};

struct WriteOptions {
  bool resume = false;    // leave out samples whose image and label files are already written
  bool skip_bad = false;  // a sample whose get() throws Error is reported and left out
  std::function<void(int64_t done)> progress;             // from the calling thread
  std::function<void(const std::string& line)> on_bad;    // from the calling thread, in order
};
struct WriteResult {
  int64_t written = 0, resumed = 0;
  std::vector<bool> ok;          // per sample: written now or before
  std::vector<std::string> bad;  // the messages of the samples left out, in order
};
// Writes samples 0..names.size()-1 of `source` as images/NAME.png and labels/NAME.png, in
// parallel over the threads (parallel_for, a few samples per thread between progress calls).
// Without skip_bad, throws the Error of the lowest-numbered sample that failed (samples written
// before it stay). Sets no split and writes no dataset.json.
WriteResult write_samples(const FolderWriter& writer, const Dataset& source,
                          const std::vector<std::string>& names, const WriteOptions& options = {});

// Copies samples 0..count-1 of `source` into `writer` as split `split`, named SPLIT_000000,
// SPLIT_000001, ... (write_samples), then sets the split and finishes (writes dataset.json).
// `progress(done)` is called from the calling thread as samples complete. Throws the Error of
// the lowest-numbered sample that failed.
void write_split(FolderWriter& writer, const Dataset& source, const std::string& split,
                 int64_t count, const std::function<void(int64_t done)>& progress = {});

}  // namespace ulr
