// The import: a release's items become a Dataset of fitted samples, written by write_samples
// (data/folder.h) with resume and skip-bad; then the splits and dataset.json.
#include "data/import.h"

#include <algorithm>
#include <set>

#include "data/classes.h"
#include "data/folder.h"
#include "data/loader.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/json.h"

namespace ulr {
namespace {

// The items of a release as finished samples: read, class-mapped, cropped and resized.
class ImportDataset : public Dataset {
 public:
  ImportDataset(const ImportSource& source, const std::vector<ImportItem>& items,
                const ImportOptions& options)
      : source_(source), items_(items), options_(options) {}
  int64_t size() const override { return int64_t(items_.size()); }
  Sample get(int64_t i) const override {
    const ImportItem& item = items_.at(size_t(i));
    if (!item.problem.empty()) throw Error(item.problem);
    const SourceSample raw = source_.read(item, options_.max_pixels);
    const std::vector<uint8_t> ids = map_labels(raw, source_.class_map(), item.label);
    CropBox box;
    try {
      box = import_crop_box(raw.image.height, raw.image.width, options_.crop, options_.height,
                            options_.width);
    } catch (const Error& e) {
      throw Error(item.image + ": " + e.what());
    }
    Sample s;
    s.name = item.name;
    s.rgb = resize_image_area(raw.image, box, options_.height, options_.width);
    s.labels = resize_labels(ids, raw.image.width, box, options_.height, options_.width,
                             options_.label_resize);
    return s;
  }

 private:
  const ImportSource& source_;
  const std::vector<ImportItem>& items_;
  const ImportOptions& options_;
};

// What makes two imports' samples alike: a resumed import must use the same.
Json import_settings(const ImportSource& source, const ImportOptions& o) {
  Json j = Json::object();
  j.set("format", "ulrseg-import").set("version", 1);
  j.set("size", std::to_string(o.height) + "x" + std::to_string(o.width));
  j.set("crop", o.crop).set("label_resize", label_resize_name(o.label_resize));
  j.set("unlabelled", source.unlabelled().empty() ? "class map" : source.unlabelled());
  return j;
}

// Writes DIR/import.json, or checks that the one there matches.
void check_settings(const std::string& dir, const Json& settings) {
  const std::string path = dir + "/import.json";
  if (file_exists(path)) {
    const std::vector<unsigned char> bytes = read_file(path);
    const Json old = Json::parse(std::string(bytes.begin(), bytes.end()), path);
    if (old.dump() != settings.dump())
      throw Error(path + ": " + dir + " was imported with " + old.dump() + "; this import uses " +
                  settings.dump() + " (import into another folder)");
    return;
  }
  const std::string text = settings.dump(2) + "\n";
  write_file_atomic(path, text.data(), text.size());
}

// Moves `count` training items, evenly spaced over the training list, to split "val" (items the
// listing refused take no part).
void choose_val(std::vector<ImportItem>& items, int count) {
  if (count == 0) return;
  std::vector<size_t> train;
  for (size_t i = 0; i < items.size(); ++i)
    if (items[i].split == "train" && items[i].problem.empty()) train.push_back(i);
  const int64_t n = int64_t(train.size());
  if (count >= n)
    throw Error("import: " + std::to_string(count) + " validation samples asked of " +
                std::to_string(n) + " training samples (some must stay for training)");
  for (int64_t j = 0; j < n; ++j)  // the last of each of `count` equal runs
    if ((j + 1) * count / n != j * count / n) items[train[size_t(j)]].split = "val";
}

// The splits of the items, in order of first appearance.
std::vector<std::string> split_order(const std::vector<ImportItem>& items) {
  std::vector<std::string> order;
  for (const ImportItem& item : items)
    if (std::find(order.begin(), order.end(), item.split) == order.end()) order.push_back(item.split);
  return order;
}

// A name this import writes that the existing dataset lists in a split the import keeps.
void check_no_clash(const FolderManifest& existing, const std::vector<ImportItem>& items,
                    const std::vector<std::string>& replaced, const std::string& label) {
  std::set<std::string> names;
  for (const ImportItem& item : items) names.insert(item.name);
  for (auto& [split, list] : existing.splits) {
    if (std::find(replaced.begin(), replaced.end(), split) != replaced.end()) continue;
    for (const std::string& name : list)
      if (names.count(name))
        throw Error(label + ": sample \"" + name + "\" is already in split \"" + split +
                    "\", which this import keeps (import into another folder)");
  }
}

}  // namespace

ImportReport import_dataset(const ImportSource& source, const std::string& out,
                            const ImportOptions& options,
                            const std::function<void(int64_t, int64_t)>& progress,
                            const std::function<void(const std::string&)>& on_bad) {
  if (options.height < 1 || options.width < 1)
    throw Error("import: size " + std::to_string(options.height) + "x" +
                std::to_string(options.width) + " must be positive");
  if (options.crop > 0 && options.height != options.width)
    throw Error("import: a square crop needs a square size, got " + std::to_string(options.height) +
                "x" + std::to_string(options.width));
  std::vector<ImportItem> items = source.items();
  choose_val(items, options.val);
  const std::vector<std::string> splits = split_order(items);

  std::vector<std::string> classes;
  for (int id = 0; id < kNumClasses; ++id) classes.push_back(class_name(id));
  FolderWriter writer(out, classes, kIgnoreLabel);
  check_no_clash(writer.manifest(), items, splits, out + "/dataset.json");
  check_settings(out, import_settings(source, options));

  std::vector<std::string> names;
  for (const ImportItem& item : items) names.push_back(item.name);
  const int64_t total = int64_t(items.size());
  WriteOptions write;
  write.resume = true;
  write.skip_bad = options.skip_bad;
  write.on_bad = on_bad;
  if (progress) write.progress = [&](int64_t done) { progress(done, total); };
  const ImportDataset dataset(source, items, options);
  const WriteResult written = write_samples(writer, dataset, names, write);

  ImportReport report;
  report.items = total;
  report.written = written.written;
  report.resumed = written.resumed;
  report.bad = written.bad;
  if (written.written + written.resumed == 0)
    throw Error(out + ": no sample could be imported (" + std::to_string(written.bad.size()) +
                " bad)");
  for (const std::string& split : splits) {
    std::vector<std::string> list;
    for (size_t i = 0; i < items.size(); ++i)
      if (items[i].split == split && written.ok[i]) list.push_back(items[i].name);
    report.splits.push_back({split, int64_t(list.size())});
    writer.set_split(split, std::move(list));
  }
  writer.finish();
  return report;
}

}  // namespace ulr
