// The releases as lists of samples: which files make one sample, its name and its split. The
// layouts are those the releases unpack to (docs/DATASETS.md names where each comes from).
#include <cstdio>
#include <map>

#include "data/folder.h"
#include "data/import.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/image.h"
#include "engine/printable.h"

namespace ulr {

// The official SUN RGB-D lists (sunrgbd_testing_images.txt, sunrgbd_training_images.txt): the
// label release numbers the test images 1..5050 and the training images 5051..10335.
constexpr int kSunTestImages = 5050;
constexpr int kSunTrainImages = 5285;

const char* import_format_name(ImportFormat f) {
  switch (f) {
    case ImportFormat::SunRgbd: return "sunrgbd";
    case ImportFormat::Nyu: return "nyuv2";
    case ImportFormat::NyuMat: return "nyuv2-mat";
    case ImportFormat::Folder: return "folder";
  }
  return "?";
}

ImportFormat parse_import_format(const std::string& name) {
  for (ImportFormat f : {ImportFormat::SunRgbd, ImportFormat::Nyu, ImportFormat::NyuMat, ImportFormat::Folder})
    if (name == import_format_name(f)) return f;
  throw Error("expected sunrgbd, nyuv2, nyuv2-mat or folder, got '" + printable(name) + "'");
}

namespace {

// A release stored as pairs of files: an image and its label PNG.
class FilePairSource : public ImportSource {
 public:
  FilePairSource(std::vector<ImportItem> items, ClassMap map, std::string unlabelled) {
    items_ = std::move(items);
    map_ = std::move(map);
    unlabelled_ = std::move(unlabelled);
  }
  SourceSample read(const ImportItem& item, int64_t max_pixels) const override {
    LabelledImage pair = read_labelled_image(item.image, item.label, max_pixels);
    SourceSample s;
    s.image = std::move(pair.image);
    s.labels.assign(pair.labels.px.begin(), pair.labels.px.end());
    return s;
  }
};

// The number in `name` when it is prefix + `digits` decimal digits + suffix; -1 otherwise.
int numbered(const std::string& name, const std::string& prefix, int digits, const std::string& suffix) {
  if (name.size() != prefix.size() + size_t(digits) + suffix.size()) return -1;
  if (name.compare(0, prefix.size(), prefix) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return -1;
  int n = 0;
  for (int i = 0; i < digits; ++i) {
    const char c = name[prefix.size() + size_t(i)];
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::string zero_padded(int n, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*d", digits, n);
  return buf;
}

// Throws when not one of `items` has its label file: the labels folder is the wrong one.
void require_some_label(const std::vector<ImportItem>& items, const std::string& labels,
                        const std::string& expected) {
  list_folder(labels);  // a missing or unreadable folder is its own error
  for (const ImportItem& item : items)
    if (file_exists(item.label)) return;
  throw Error(labels + ": holds none of the labels of these images (expected " + expected + ")");
}

std::vector<ImportItem> list_sunrgbd(const ImportSpec& spec) {
  if (spec.split != "train" && spec.split != "test")
    throw Error("sunrgbd: the split must be train or test (which official list the images are "
                "from), got '" + printable(spec.split) + "'");
  const bool train = spec.split == "train";
  const int count = train ? kSunTrainImages : kSunTestImages;
  const int label_offset = train ? kSunTestImages : 0;
  std::vector<ImportItem> items;
  for (const std::string& file : list_folder(spec.images)) {
    const int k = numbered(file, "img-", 6, ".jpg");
    if (k < 0) continue;
    ImportItem item;
    item.name = "sunrgbd-" + spec.split + "-" + zero_padded(k, 6);
    item.split = spec.split;
    item.image = spec.images + "/" + file;
    item.label = spec.labels + "/img-" + zero_padded(k + label_offset, 6) + ".png";
    if (k < 1 || k > count)
      item.problem = item.image + ": not in the official SUN RGB-D " + spec.split +
                     " list (img-000001.jpg .. img-" + zero_padded(count, 6) + ".jpg)";
    items.push_back(item);
  }
  if (items.empty())
    throw Error(spec.images + ": no SUN RGB-D images (img-NNNNNN.jpg) in this folder");
  require_some_label(items, spec.labels,
                     "img-" + zero_padded(label_offset + 1, 6) + ".png .. img-" +
                         zero_padded(label_offset + count, 6) + ".png for the " + spec.split +
                         " images");
  return items;
}

std::vector<ImportItem> list_nyu_png(const ImportSpec& spec) {
  std::vector<ImportItem> items;
  for (const std::string& file : list_folder(spec.images)) {
    const int k = numbered(file, "nyu_rgb_", 4, ".png");
    if (k < 0) continue;
    ImportItem item;
    item.name = "nyu-" + zero_padded(k, 4);
    item.image = spec.images + "/" + file;
    item.label = spec.labels + "/new_nyu_class13_" + zero_padded(k, 4) + ".png";
    if (k < 1 || k > kNyuLabelledImages) {
      item.split = "train";
      item.problem = item.image + ": not one of NYUv2's 1449 labelled images (nyu_rgb_0001.png .. "
                     "nyu_rgb_1449.png)";
    } else {
      item.split = nyu_official_test(k) ? "test" : "train";
    }
    items.push_back(item);
  }
  if (items.empty())
    throw Error(spec.images + ": no NYUv2 images (nyu_rgb_NNNN.png) in this folder");
  require_some_label(items, spec.labels, "new_nyu_class13_NNNN.png");
  return items;
}

std::vector<ImportItem> list_folder_pairs(const ImportSpec& spec) {
  if (!valid_sample_name(spec.split))
    throw Error("folder: bad split name '" + printable(spec.split) +
                "' (letters, digits, '.', '_', '-')");
  std::vector<ImportItem> items;
  std::map<std::string, std::string> first_with_stem;
  for (const std::string& file : list_folder(spec.images)) {
    const std::string stem = image_stem(file);
    if (stem.empty()) continue;
    ImportItem item;
    item.name = stem;
    item.split = spec.split;
    item.image = spec.images + "/" + file;
    item.label = spec.labels + "/" + stem + ".png";
    auto [it, fresh] = first_with_stem.insert({stem, item.image});
    if (!valid_sample_name(stem))
      item.problem = item.image + ": \"" + printable(stem) + "\" is not a usable sample name "
                     "(letters, digits, '.', '_', '-'; not starting with '.')";
    else if (!fresh)
      item.problem = item.image + ": the same sample name as " + it->second;
    items.push_back(item);
  }
  if (items.empty()) throw Error(spec.images + ": no PNG or JPEG images in this folder");
  require_some_label(items, spec.labels, "NAME.png for each image NAME.png|jpg|jpeg");
  return items;
}

}  // namespace

std::unique_ptr<ImportSource> open_import_source(const ImportSpec& spec) {
  const std::string unlabelled = unlabelled_name(spec.unlabelled);
  switch (spec.format) {
    case ImportFormat::SunRgbd:
      return std::make_unique<FilePairSource>(list_sunrgbd(spec), sunrgbd37_class_map(spec.unlabelled),
                                              unlabelled);
    case ImportFormat::Nyu:
      return std::make_unique<FilePairSource>(list_nyu_png(spec), nyu13_class_map(spec.unlabelled),
                                              unlabelled);
    case ImportFormat::NyuMat:
      return open_nyu_mat(spec.mat, spec.unlabelled);
    case ImportFormat::Folder: {
      ClassMap map = read_class_map(spec.class_map);  // a bad map fails before any listing
      return std::make_unique<FilePairSource>(list_folder_pairs(spec), std::move(map), std::string());
    }
  }
  throw Error("import: unknown format");
}

}  // namespace ulr
