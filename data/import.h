// Importing the releases people download into the folder format (data/folder.h,
// docs/DATASETS.md), at the model's HR size and in ulrseg's 14 classes:
//
//   sunrgbd    the 37-class label PNGs (one folder, img-000001.png .. img-010335.png, the 5050
//              test images first) with the JPEG folders SUNRGBD-{train,test}_images
//              (img-NNNNNN.jpg, numbered in the order of the official lists)
//   nyuv2      the 13-class PNG release (new_nyu_class13_NNNN.png) with its RGB PNGs
//              (nyu_rgb_NNNN.png); NNNN is the image's index among the 1449 labelled images
//   nyuv2-mat  the official nyu_depth_v2_labeled.mat (MATLAB v7.3 = HDF5), its 894-class labels
//   folder     any images (NAME.png/.jpg) with 8-bit label PNGs (NAME.png) and a class-map JSON
//
// Every sample is cropped (centred), resized (image by area, labels by majority or nearest) and
// written as it is finished; a second run skips the samples already written, and dataset.json is
// written last, atomically. A bad file is one line naming it: it stops the import, or with
// skip_bad is left out and counted.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "data/class_map.h"
#include "data/sensor.h"
#include "engine/image.h"
#include "engine/tensor.h"

namespace ulr {

// ---- the releases ---------------------------------------------------------------------------

enum class ImportFormat : uint8_t { SunRgbd, Nyu, NyuMat, Folder };
const char* import_format_name(ImportFormat f);  // "sunrgbd", "nyuv2", "nyuv2-mat", "folder"
// Throws Error("expected sunrgbd, nyuv2, nyuv2-mat or folder, got 'X'") (the caller names the
// flag).
ImportFormat parse_import_format(const std::string& name);

// Where a release is and how its labels are read. Which fields each format uses:
//   sunrgbd: images, labels, split (train or test: which official list the images are from)
//   nyuv2: images, labels (each image's split comes from the official list)
//   nyuv2-mat: mat (the split from the official list)
//   folder: images, labels, class_map, split (any split name)
// `unlabelled` applies to the three releases; a class map says itself what each value becomes.
struct ImportSpec {
  ImportFormat format = ImportFormat::Folder;
  std::string images, labels, mat, class_map, split;
  Unlabelled unlabelled = Unlabelled::Unknown;
};

// One sample to import: its name and split in the folder dataset, and where it comes from.
struct ImportItem {
  std::string name, split;
  std::string image, label;  // the source files (for the .mat: the file, and "labels[k]")
  int64_t index = -1;        // the position in a container file (the .mat), -1 for file pairs
  std::string problem;       // set when the listing already shows it cannot be imported
};

// A sample as the release stores it: its image and the release's own label values (before the
// class map), of the same size.
struct SourceSample {
  Image image;                   // RGB or grey
  std::vector<uint16_t> labels;  // (H,W) row-major
};

class ImportSource {
 public:
  virtual ~ImportSource() = default;
  // What the release holds, in its order (by number).
  const std::vector<ImportItem>& items() const { return items_; }
  const ClassMap& class_map() const { return map_; }
  // "unknown" or "ignore" for the releases, "" for a class map (recorded in import.json).
  const std::string& unlabelled() const { return unlabelled_; }
  // Reads one item. Safe from several threads. Throws Error("FILE: problem").
  virtual SourceSample read(const ImportItem& item, int64_t max_pixels) const = 0;

 protected:
  std::vector<ImportItem> items_;
  ClassMap map_;
  std::string unlabelled_;
};

// Lists a release: reads the folders (or opens the .mat and checks its datasets), nothing
// else. Throws Error naming the folder or file when it cannot be read or holds no sample; the
// .mat without HDF5 in this build is such an error.
std::unique_ptr<ImportSource> open_import_source(const ImportSpec& spec);
// The .mat on its own (what open_import_source calls for nyuv2-mat): HDF5 datasets "images"
// (N,3,W,H) and "labels" (N,W,H), integers, as MATLAB v7.3 stores its H x W x 3 x N and
// H x W x N arrays (reversed dimensions); N <= 1449, image k (1-based) is NYUv2 image k.
std::unique_ptr<ImportSource> open_nyu_mat(const std::string& path, Unlabelled unlabelled);
bool import_has_hdf5();  // whether this build reads the NYUv2 .mat

// ---- one sample: class map, crop, resize ----------------------------------------------------

enum class LabelResize : uint8_t { Majority, Nearest };
const char* label_resize_name(LabelResize r);  // "majority", "nearest"
// Throws Error("expected majority or nearest, got 'X'") (the caller names the flag).
LabelResize parse_label_resize(const std::string& name);

// Source values -> class ids (0..13, 255) through `map`. Throws Error("LABEL: label value V at
// (x=X, y=Y) is not a SOURCE label (values ...)") for a value the map does not cover.
std::vector<uint8_t> map_labels(const SourceSample& sample, const ClassMap& map,
                                const std::string& label);

// The window cut from an H x W image: crop > 0, the centred crop x crop square (requires out_h
// == out_w); crop == 0, the largest centred window with the aspect out_h : out_w. factor is 0
// (unused). Throws Error when the image is smaller than the crop.
CropBox import_crop_box(int height, int width, int crop, int out_h, int out_w);
// The window of `image` resized by area: each output value is the mean of the source area the
// output pixel covers, pixels cut by its border weighted by the part inside. -> (3,out_h,out_w)
// in [0, 1] (grey is replicated). For a window a whole multiple f of the output this is the f x f
// block mean (sensor.h area_average).
Tensor resize_image_area(const Image& image, const CropBox& box, int out_h, int out_w);
// The window of an (H,W) map of class ids (width W) resized to (1,out_h,out_w). Majority: the
// class covering most of the output pixel's area, where kIgnoreLabel counts only when it covers
// all of it and ties go to the smaller id (for whole multiples, sensor.h fit_labels' vote).
// Nearest: the source pixel under the output pixel's centre.
Labels resize_labels(const std::vector<uint8_t>& labels, int width, const CropBox& box, int out_h,
                     int out_w, LabelResize mode);

// ---- the import -----------------------------------------------------------------------------

struct ImportOptions {
  int height = 64, width = 64;  // the size written: the model's HR size
  int crop = 0;                 // import_crop_box's crop
  LabelResize label_resize = LabelResize::Majority;
  int val = 0;           // training samples moved to split "val", evenly spaced over the list
  bool skip_bad = false;  // leave a bad sample out (reported, counted) instead of stopping
  int64_t max_pixels = kDefaultMaxPixels;
};

struct ImportReport {
  int64_t items = 0;    // samples in the source
  int64_t written = 0;  // written by this run
  int64_t resumed = 0;  // found written by an earlier run of the same import
  std::vector<std::string> bad;  // one line per sample left out: "FILE: problem"
  std::vector<std::pair<std::string, int64_t>> splits;  // the splits this import set, and sizes
};

// Imports every item of `source` into the folder dataset `out` (created if needed; other splits
// of an existing one are kept). `out`/import.json records the size, crop, label resize and
// unlabelled choice; an existing one that differs is an error, so a resumed import never mixes
// samples made two ways. Samples are made in parallel (parallel_for); progress(done, total) and
// on_bad(line) are called from the calling thread, in item order. Throws the Error of the first
// bad sample unless skip_bad; Error when no sample at all could be imported.
ImportReport import_dataset(const ImportSource& source, const std::string& out,
                            const ImportOptions& options,
                            const std::function<void(int64_t done, int64_t total)>& progress = {},
                            const std::function<void(const std::string& line)>& on_bad = {});

}  // namespace ulr
