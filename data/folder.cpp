#include "data/folder.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <map>
#include <set>

#include "data/classes.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/image.h"
#include "engine/parallel.h"
#include "engine/printable.h"

namespace ulr {

// ---- dataset.json ---------------------------------------------------------------------------

const std::vector<std::string>* FolderManifest::split(const std::string& name) const {
  for (auto& [n, names] : splits)
    if (n == name) return &names;
  return nullptr;
}

Json FolderManifest::to_json() const {
  Json cls = Json::array();
  for (auto& c : classes) cls.push(c);
  Json sp = Json::object();
  for (auto& [n, names] : splits) {
    Json list = Json::array();
    for (auto& s : names) list.push(s);
    sp.set(n, list);
  }
  Json j = Json::object();
  j.set("format", "ulrseg-folder").set("version", 1).set("classes", cls);
  j.set("ignore_index", ignore_index).set("splits", sp);
  return j;
}

bool valid_sample_name(const std::string& name) {
  if (name.empty() || name.size() > 200 || name[0] == '.') return false;
  for (char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

FolderManifest parse_manifest(const Json& j, const std::string& label) {
  auto fail = [&](const std::string& what) { throw Error(label + ": " + what); };
  if (!j.is_object()) fail("expected a JSON object at the top level");
  static const std::set<std::string> known = {"format", "version", "classes", "ignore_index",
                                              "splits"};
  for (auto& [key, value] : j.members())
    if (!known.count(key))
      fail("unknown key \"" + printable(key) +
           "\" (expected format, version, classes, ignore_index, splits)");
  for (const char* key : {"format", "version", "classes", "splits"})
    if (!j.has(key)) fail(std::string("missing key \"") + key + "\"");

  const Json& format = j.get("format");
  if (!format.is_string() || format.as_string() != "ulrseg-folder")
    fail("\"format\" must be \"ulrseg-folder\", got " + printable(format.dump()));
  const Json& version = j.get("version");
  if (!version.is_number() || version.as_number() != 1.0)
    fail("unsupported \"version\" " + version.dump() + " (this build reads version 1)");

  FolderManifest m;
  const Json& classes = j.get("classes");
  if (!classes.is_array() || classes.size() == 0)
    fail("\"classes\" must be a non-empty array of class names");
  if (classes.size() > 255) fail("\"classes\" lists " + std::to_string(classes.size()) +
                                 " classes; at most 255 fit in an 8-bit label");
  for (const Json& c : classes.items()) {
    if (!c.is_string() || c.as_string().empty())
      fail("\"classes\" must hold non-empty strings, got " + printable(c.dump()));
    for (auto& seen : m.classes)
      if (seen == c.as_string()) fail("class \"" + printable(seen) + "\" is listed twice");
    m.classes.push_back(c.as_string());
  }

  if (j.has("ignore_index")) {
    const Json& ig = j.get("ignore_index");
    if (!ig.is_integer_in(0, 255)) fail("\"ignore_index\" must be an integer in [0, 255], got " + ig.dump());
    m.ignore_index = int(ig.as_int());
    if (m.ignore_index < int(m.classes.size()))
      fail("\"ignore_index\" " + std::to_string(m.ignore_index) + " is a class id (classes 0.." +
           std::to_string(m.classes.size() - 1) + ")");
  }

  const Json& splits = j.get("splits");
  if (!splits.is_object()) fail("\"splits\" must be an object of split name -> sample names");
  std::map<std::string, std::string> owner;  // sample name -> its split
  for (auto& [split, names] : splits.members()) {
    if (!valid_sample_name(split)) fail("bad split name \"" + printable(split) + "\"");
    if (!names.is_array()) fail("split \"" + split + "\" must be an array of sample names");
    std::vector<std::string> list;
    for (const Json& n : names.items()) {
      if (!n.is_string() || !valid_sample_name(n.as_string()))
        fail("split \"" + split + "\": bad sample name " + printable(n.dump()) +
             " (use letters, digits, '.', '_', '-'; not starting with '.')");
      auto [it, fresh] = owner.insert({n.as_string(), split});
      if (!fresh) {
        if (it->second == split) fail("split \"" + split + "\" lists \"" + it->first + "\" twice");
        fail("sample \"" + it->first + "\" is in both split \"" + it->second + "\" and \"" +
             split + "\"");
      }
      list.push_back(n.as_string());
    }
    m.splits.push_back({split, std::move(list)});
  }
  return m;
}

FolderManifest read_manifest(const std::string& dir) {
  const std::string path = dir + "/dataset.json";
  if (!file_exists(path)) throw Error(path + ": missing (not a ulrseg folder dataset)");
  const std::vector<unsigned char> bytes = read_file(path);
  const Json j = Json::parse(std::string(bytes.begin(), bytes.end()), path);
  return parse_manifest(j, path);
}

void require_project_classes(const FolderManifest& manifest, const std::string& label) {
  const int n = int(manifest.classes.size());
  if (n != kNumClasses)
    throw Error(label + ": lists " + std::to_string(n) + " classes; ulrseg's class table has " +
                std::to_string(kNumClasses) + " (see docs/DATASETS.md)");
  for (int id = 0; id < n; ++id)
    if (manifest.classes[size_t(id)] != class_name(id))
      throw Error(label + ": class " + std::to_string(id) + " is \"" +
                  printable(manifest.classes[size_t(id)]) + "\", ulrseg's class table has \"" +
                  class_name(id) + "\"");
}

// ---- reading samples ------------------------------------------------------------------------

std::shared_ptr<FolderDataset> FolderDataset::open(const std::string& dir, const std::string& split,
                                                   FolderOptions options) {
  auto ds = std::make_shared<FolderDataset>();
  ds->dir_ = dir;
  ds->split_ = split;
  ds->manifest_ = read_manifest(dir);
  ds->options_ = options;
  const std::vector<std::string>* names = ds->manifest_.split(split);
  if (!names) {
    std::string have;
    for (auto& [n, list] : ds->manifest_.splits) have += (have.empty() ? "" : ", ") + n;
    throw Error(dir + "/dataset.json: no split \"" + split + "\" (has: " +
                (have.empty() ? "none" : have) + ")");
  }
  ds->names_ = *names;
  if ((options.height > 0) != (options.width > 0))
    throw Error("folder dataset: fit size needs both height and width");
  return ds;
}

std::string FolderDataset::image_path(int64_t i) const {
  const std::string stem = dir_ + "/images/" + names_.at(size_t(i));
  for (const char* ext : {".png", ".jpg", ".jpeg"})
    if (file_exists(stem + ext)) return stem + ext;
  throw Error(stem + ".png: missing image for sample \"" + names_[size_t(i)] +
              "\" (no .png, .jpg or .jpeg)");
}

std::string FolderDataset::label_path(int64_t i) const {
  return dir_ + "/labels/" + names_.at(size_t(i)) + ".png";
}

namespace {

// A label file must be an 8-bit single-channel PNG of the image's size, checked from the
// headers before anything is decoded: stb would expand a palette to RGB and scale 1/2/4/16-bit
// samples, silently changing the class ids.
void check_label_header(const ImageFile& label, const ImageFile& image) {
  const std::string& path = label.path;
  const ImageHeader& h = label.header;
  static const char* kinds[5] = {"?", "grey", "grey+alpha", "RGB", "RGBA"};
  if (h.format != ImageFormat::Png)
    throw Error(path + ": label file is not a PNG (labels must be lossless 8-bit PNG)");
  if (h.palette)
    throw Error(path + ": label PNG is paletted; expected 1 channel of 8-bit class ids");
  if (h.channels != 1)
    throw Error(path + ": label PNG has " + std::to_string(h.channels) + " channels (" +
                kinds[h.channels] + "); expected 1 channel of 8-bit class ids");
  if (h.bit_depth != 8)
    throw Error(path + ": label PNG has " + std::to_string(h.bit_depth) +
                "-bit samples; expected 8-bit class ids");
  const ImageHeader& im = image.header;
  if (h.width != im.width || h.height != im.height)
    throw Error(path + ": label is " + std::to_string(h.height) + "x" +
                std::to_string(h.width) + " but image " + image.path + " is " +
                std::to_string(im.height) + "x" + std::to_string(im.width) + " (HxW)");
}

}  // namespace

LabelledImage read_labelled_image(const std::string& image_path, const std::string& label_path,
                                  int64_t max_pixels) {
  if (!file_exists(label_path)) throw Error(label_path + ": missing label for image " + image_path);
  const ImageFile img_file = read_image_file(image_path, max_pixels);
  const ImageFile lab_file = read_image_file(label_path, max_pixels);
  check_label_header(lab_file, img_file);
  return {decode_image(img_file), decode_image(lab_file)};
}

Sample FolderDataset::get(int64_t i) const {
  if (i < 0 || i >= size())
    throw Error(dir_ + ": sample " + std::to_string(i) + " out of range (split \"" + split_ +
                "\" has " + std::to_string(size()) + ")");
  const std::string img_path = image_path(i), lab_path = label_path(i);
  const LabelledImage pair = read_labelled_image(img_path, lab_path, options_.max_pixels);
  const Image& img = pair.image;
  const Image& lab = pair.labels;

  Sample s;
  s.name = names_[size_t(i)];
  s.rgb = image_to_tensor(img);
  s.labels = Labels(Shape{1, lab.height, lab.width});
  const int num_classes = int(manifest_.classes.size());
  for (size_t p = 0; p < lab.px.size(); ++p) {
    const int v = lab.px[p];
    if (v == manifest_.ignore_index) {
      s.labels.data[p] = kIgnoreLabel;
    } else if (v < num_classes) {
      s.labels.data[p] = uint8_t(v);
    } else {
      throw Error(lab_path + ": label value " + std::to_string(v) + " at (x=" +
                  std::to_string(p % size_t(lab.width)) + ", y=" +
                  std::to_string(p / size_t(lab.width)) + ") is not a class id (0.." +
                  std::to_string(num_classes - 1) + ") nor the ignore index " +
                  std::to_string(manifest_.ignore_index));
    }
  }
  if (options_.height > 0) {
    try {
      s.rgb = fit_image(s.rgb, options_.height, options_.width);
      s.labels = fit_labels(s.labels, options_.height, options_.width, kIgnoreLabel);
    } catch (const Error& e) {
      throw Error(img_path + ": " + e.what());
    }
  }
  return s;
}

void FolderDataset::validate() const {
  for (int64_t i = 0; i < size(); ++i) get(i);
}

// ---- writing --------------------------------------------------------------------------------

FolderWriter::FolderWriter(const std::string& dir, std::vector<std::string> classes,
                           int ignore_index)
    : dir_(dir) {
  manifest_.classes = std::move(classes);
  manifest_.ignore_index = ignore_index;
  parse_manifest(manifest_.to_json(), "folder writer");  // validates classes and ignore index
  make_dirs(dir_ + "/images");
  make_dirs(dir_ + "/labels");
  const std::string path = dir_ + "/dataset.json";
  if (file_exists(path)) {
    FolderManifest old = read_manifest(dir_);
    if (old.classes != manifest_.classes)
      throw Error(path + ": the existing dataset has other classes than the data being written");
    if (old.ignore_index != manifest_.ignore_index)
      throw Error(path + ": the existing dataset's ignore_index is " +
                  std::to_string(old.ignore_index) + ", the data being written uses " +
                  std::to_string(manifest_.ignore_index));
    manifest_.splits = std::move(old.splits);
  }
}

void FolderWriter::write_sample(const std::string& name, const Tensor& rgb,
                                const Labels& labels) const {
  if (!valid_sample_name(name))
    throw Error(dir_ + ": bad sample name \"" + name + "\"");
  if (!rgb.defined() || rgb.rank() != 3 || rgb.size(0) != 3)
    throw Error(dir_ + "/images/" + name + ".png: expected a (3,H,W) image, got " +
                (rgb.defined() ? rgb.shape().str() : std::string("an undefined tensor")));
  const int64_t H = rgb.size(1), W = rgb.size(2);
  if (labels.shape != Shape({1, H, W}) || int64_t(labels.data.size()) != H * W)
    throw Error(dir_ + "/labels/" + name + ".png: label map " + labels.shape.str() +
                " does not match image " + rgb.shape().str());
  Image lab(int(W), int(H), 1);
  for (size_t p = 0; p < labels.data.size(); ++p) {
    const int v = labels.data[p];
    if (v >= int(manifest_.classes.size()) && v != manifest_.ignore_index)
      throw Error(dir_ + "/labels/" + name + ".png: label value " + std::to_string(v) +
                  " is not a class id nor the ignore index");
    lab.px[p] = uint8_t(v);
  }
  write_png(dir_ + "/labels/" + name + ".png", lab);
  write_png(dir_ + "/images/" + name + ".png", tensor_to_image(rgb));
}

void FolderWriter::set_split(const std::string& split, std::vector<std::string> names) {
  for (auto& [n, list] : manifest_.splits)
    if (n == split) {
      list = std::move(names);
      return;
    }
  manifest_.splits.push_back({split, std::move(names)});
}

void FolderWriter::finish() const {
  // Catches bad split names and names shared between splits before anything is written.
  parse_manifest(manifest_.to_json(), dir_ + "/dataset.json");
  const std::string text = manifest_.to_json().dump(2) + "\n";
  write_file_atomic(dir_ + "/dataset.json", text.data(), text.size());
}

WriteResult write_samples(const FolderWriter& writer, const Dataset& source,
                          const std::vector<std::string>& names, const WriteOptions& options) {
  const int64_t count = int64_t(names.size());
  if (count > source.size())
    throw Error("write_samples: " + std::to_string(count) + " names for " +
                std::to_string(source.size()) + " samples");
  WriteResult result;
  result.ok.assign(size_t(count), false);
  const std::string& dir = writer.dir();
  auto written_before = [&](const std::string& name) {
    return file_exists(dir + "/images/" + name + ".png") && file_exists(dir + "/labels/" + name + ".png");
  };
  // Chunks of a few samples per thread: one sample per task, progress between chunks.
  const int64_t chunk = 4 * int64_t(num_threads());
  for (int64_t begin = 0; begin < count; begin += chunk) {
    const int64_t end = std::min(count, begin + chunk);
    std::vector<std::exception_ptr> errors(static_cast<size_t>(end - begin));
    std::vector<char> resumed(static_cast<size_t>(end - begin), 0);
    parallel_for(end - begin, 1, [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) {
        const int64_t i = begin + k;
        try {
          if (options.resume && written_before(names[size_t(i)])) {
            resumed[size_t(k)] = 1;
            continue;
          }
          const Sample s = source.get(i);
          writer.write_sample(names[size_t(i)], s.rgb, s.labels);
        } catch (...) {
          errors[size_t(k)] = std::current_exception();
        }
      }
    });
    for (int64_t k = 0; k < end - begin; ++k) {
      const size_t i = size_t(begin + k);
      if (!errors[size_t(k)]) {
        result.ok[i] = true;
        ++(resumed[size_t(k)] ? result.resumed : result.written);
        continue;
      }
      if (!options.skip_bad) std::rethrow_exception(errors[size_t(k)]);
      try {
        std::rethrow_exception(errors[size_t(k)]);
      } catch (const Error& e) {  // a bad sample; anything else (out of memory) stops
        result.bad.push_back(e.what());
        if (options.on_bad) options.on_bad(e.what());
      }
    }
    if (options.progress) options.progress(end);
  }
  return result;
}

void write_split(FolderWriter& writer, const Dataset& source, const std::string& split,
                 int64_t count, const std::function<void(int64_t done)>& progress) {
  if (count < 0 || count > source.size())
    throw Error("write_split: count " + std::to_string(count) + " outside [0, " +
                std::to_string(source.size()) + "]");
  if (!valid_sample_name(split)) throw Error("write_split: bad split name \"" + split + "\"");
  std::vector<std::string> names(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "_%06lld", static_cast<long long>(i));
    names[size_t(i)] = split + buf;
  }
  WriteOptions options;
  options.progress = progress;
  write_samples(writer, source, names, options);
  writer.set_split(split, std::move(names));
  writer.finish();
}

}  // namespace ulr
