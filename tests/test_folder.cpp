// Folder datasets: what `data gen` writes loads back identical, and every kind of bad input is
// rejected with one line naming the file and the problem.
#include <doctest/doctest.h>

#include <cstdlib>
#include <functional>
#include <string>
#include <unistd.h>

#include <stb_image_write.h>

#include "data/classes.h"
#include "data/folder.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/image.h"

#include "gradcheck.h"
#include "png_bytes.h"
#include "temp_dir.h"

using namespace ulr;
using namespace ulr::test;

namespace {

using test::TempDir;

// Random 8-bit images and labels (a few ignore pixels), exactly representable in PNG.
class MemoryDataset : public Dataset {
 public:
  MemoryDataset(int64_t n, int h, int w, uint64_t seed) : n_(n), h_(h), w_(w), seed_(seed) {}
  int64_t size() const override { return n_; }
  Sample get(int64_t i) const override {
    Rng rng(seed_, uint64_t(i));
    Sample s;
    s.rgb = Tensor::empty({3, h_, w_});
    for (int64_t k = 0; k < s.rgb.numel(); ++k) s.rgb.data()[k] = float(rng.below(256)) / 255.0f;
    s.labels = Labels(Shape{1, h_, w_});
    for (auto& v : s.labels.data) v = rng.below(10) == 0 ? 255 : uint8_t(rng.below(kNumClasses));
    s.name = "mem/" + std::to_string(i);
    return s;
  }

 private:
  int64_t n_;
  int h_, w_;
  uint64_t seed_;
};

std::vector<std::string> project_classes() {
  std::vector<std::string> c;
  for (int id = 0; id < kNumClasses; ++id) c.push_back(class_name(id));
  return c;
}

using test::error_of;

void write_text(const std::string& path, const std::string& text) {
  write_file_atomic(path, text.data(), text.size());
}

// A valid 3-sample train split of 12x16 images in DIR.
void make_dataset(const std::string& dir) {
  FolderWriter writer(dir, project_classes());
  MemoryDataset mem(3, 12, 16, 7);
  write_split(writer, mem, "train", 3);
}

std::string manifest_error(const std::string& dir, const std::string& json) {
  write_text(dir + "/dataset.json", json);
  return error_of([&] { FolderDataset::open(dir, "train"); });
}

}  // namespace

TEST_CASE("written samples load back identical, and splits can be appended") {
  TempDir dir("ulrseg_test_folder");
  MemoryDataset mem(5, 12, 16, 3);
  FolderWriter writer(dir.path, project_classes());
  int64_t last_progress = 0;
  write_split(writer, mem, "train", 5, [&](int64_t done) { last_progress = done; });
  CHECK(last_progress == 5);
  CHECK(file_exists(dir.path + "/images/train_000004.png"));
  CHECK(file_exists(dir.path + "/labels/train_000004.png"));

  auto ds = FolderDataset::open(dir.path, "train");
  REQUIRE(ds->size() == 5);
  ds->validate();
  for (int64_t i = 0; i < 5; ++i) {
    Sample want = mem.get(i), got = ds->get(i);
    CHECK(got.name == "train_00000" + std::to_string(i));
    CHECK(got.rgb.shape() == Shape({3, 12, 16}));
    CHECK(got.rgb.to_vector() == want.rgb.to_vector());
    CHECK(got.labels.shape == Shape({1, 12, 16}));
    CHECK(got.labels.data == want.labels.data);
  }
  FolderManifest m = read_manifest(dir.path);
  CHECK(m.classes == project_classes());
  CHECK(m.ignore_index == 255);
  require_project_classes(m, "x");

  // A second writer adds "val" and keeps "train".
  FolderWriter more(dir.path, project_classes());
  write_split(more, MemoryDataset(2, 12, 16, 4), "val", 2);
  m = read_manifest(dir.path);
  REQUIRE(m.splits.size() == 2);
  CHECK(m.splits[0].first == "train");
  CHECK(m.splits[1].first == "val");
  CHECK(*m.split("val") == std::vector<std::string>{"val_000000", "val_000001"});
  CHECK(FolderDataset::open(dir.path, "train")->get(2).labels.data == mem.get(2).labels.data);
  CHECK(error_of([&] { FolderDataset::open(dir.path, "test"); }) ==
        dir.path + "/dataset.json: no split \"test\" (has: train, val)");
}

TEST_CASE("synthetic views written by data gen's path load back identical") {
  TempDir dir("ulrseg_test_folder");
  SyntheticDataset views(5, Split::Val, 3, 24, 32);
  FolderWriter writer(dir.path, project_classes());
  write_split(writer, views, "val", 3);
  auto ds = FolderDataset::open(dir.path, "val");
  REQUIRE(ds->size() == 3);
  for (int64_t i = 0; i < 3; ++i) {
    Sample want = views.get(i), got = ds->get(i);
    // The PNG holds the 8-bit rounding of the rendered view.
    CHECK(got.rgb.to_vector() == image_to_tensor(tensor_to_image(want.rgb)).to_vector());
    CHECK(got.labels.data == want.labels.data);
  }
}

TEST_CASE("images of other sizes are fitted when the dataset is opened with a size") {
  TempDir dir("ulrseg_test_folder");
  make_dataset(dir.path);  // 12x16
  auto ds = FolderDataset::open(dir.path, "train", FolderOptions{6, 6});
  Sample s = ds->get(0);
  CHECK(s.rgb.shape() == Shape({3, 6, 6}));
  CHECK(s.labels.shape == Shape({1, 6, 6}));
  auto too_big = FolderDataset::open(dir.path, "train", FolderOptions{32, 32});
  CHECK(error_of([&] { too_big->get(0); }) ==
        dir.path + "/images/train_000000.png: crop: image 12x16 is smaller than the target 32x32");
}

TEST_CASE("bad samples are rejected naming the file and the problem") {
  TempDir dir("ulrseg_test_folder");
  make_dataset(dir.path);
  auto ds = FolderDataset::open(dir.path, "train");
  const std::string img0 = dir.path + "/images/train_000000.png";
  const std::string lab0 = dir.path + "/labels/train_000000.png";
  const std::string img1 = dir.path + "/images/train_000001.png";
  const std::string lab1 = dir.path + "/labels/train_000001.png";
  const std::string img2 = dir.path + "/images/train_000002.png";
  const std::string lab2 = dir.path + "/labels/train_000002.png";

  SUBCASE("missing label") {
    std::remove(lab1.c_str());
    CHECK(error_of([&] { ds->get(1); }) == lab1 + ": missing label for image " + img1);
    CHECK(error_of([&] { ds->validate(); }) == lab1 + ": missing label for image " + img1);
  }
  SUBCASE("missing image") {
    std::remove(img2.c_str());
    CHECK(error_of([&] { ds->get(2); }) ==
          img2 + ": missing image for sample \"train_000002\" (no .png, .jpg or .jpeg)");
  }
  SUBCASE("image and label sizes differ") {
    write_png(lab0, Image(16, 10, 1));
    CHECK(error_of([&] { ds->get(0); }) ==
          lab0 + ": label is 10x16 but image " + img0 + " is 12x16 (HxW)");
  }
  SUBCASE("label value outside the class table") {
    Image lab(16, 12, 1);
    lab.at(5, 3)[0] = 20;
    write_png(lab0, lab);
    CHECK(error_of([&] { ds->get(0); }) ==
          lab0 + ": label value 20 at (x=5, y=3) is not a class id (0..13) nor the ignore index 255");
  }
  SUBCASE("label header checked before decoding") {
    // Header 16x10 (the image is 16x12) over image data too short to decode: the size is
    // reported, so nothing was decoded first.
    const test::Bytes png = test::png_of_zeros(16, 10, 5);
    write_file_atomic(lab0, png.data(), png.size());
    CHECK(error_of([&] { ds->get(0); }) ==
          lab0 + ": label is 10x16 but image " + img0 + " is 12x16 (HxW)");
  }
  SUBCASE("pixel limit") {
    auto limited = FolderDataset::open(dir.path, "train", FolderOptions{0, 0, 191});
    CHECK(error_of([&] { limited->get(0); }) ==
          img0 + ": image is 16x12 (192 pixels), above the limit of 191 pixels (--max-pixels N "
                 "raises it)");
    CHECK(FolderDataset::open(dir.path, "train", FolderOptions{0, 0, 192})->get(0).rgb.size(2) == 16);
  }
  SUBCASE("label PNG with three channels") {
    write_png(lab0, Image(16, 12, 3));
    CHECK(error_of([&] { ds->get(0); }) ==
          lab0 + ": label PNG has 3 channels (RGB); expected 1 channel of 8-bit class ids");
  }
  SUBCASE("label that is not a PNG") {
    std::vector<unsigned char> jpg;
    Image rgb(16, 12, 3);
    stbi_write_jpg_to_func([](void* c, void* d, int n) {
      auto* v = static_cast<std::vector<unsigned char>*>(c);
      v->insert(v->end(), static_cast<unsigned char*>(d), static_cast<unsigned char*>(d) + n);
    }, &jpg, 16, 12, 3, rgb.px.data(), 90);
    write_file_atomic(lab0, jpg.data(), jpg.size());
    CHECK(error_of([&] { ds->get(0); }) ==
          lab0 + ": label file is not a PNG (labels must be lossless 8-bit PNG)");
  }
  SUBCASE("truncated image PNG") {
    std::vector<unsigned char> bytes = read_file(img1);
    write_file_atomic(img1, bytes.data(), bytes.size() / 2);
    CHECK(error_of([&] { ds->get(1); }) ==
          img1 + ": truncated PNG (chunk IDAT runs past the end of the file)");
  }
  SUBCASE("truncated label PNG") {
    std::vector<unsigned char> bytes = read_file(lab1);
    write_file_atomic(lab1, bytes.data(), bytes.size() - 12);
    CHECK(error_of([&] { ds->get(1); }) == lab1 + ": truncated PNG (no IEND chunk)");
  }
  SUBCASE("truncated JPEG image") {
    Image rgb = read_image(img1);
    std::vector<unsigned char> jpg;
    stbi_write_jpg_to_func([](void* c, void* d, int n) {
      auto* v = static_cast<std::vector<unsigned char>*>(c);
      v->insert(v->end(), static_cast<unsigned char*>(d), static_cast<unsigned char*>(d) + n);
    }, &jpg, rgb.width, rgb.height, 3, rgb.px.data(), 90);
    std::remove(img1.c_str());
    const std::string jpg1 = dir.path + "/images/train_000001.jpg";
    write_file_atomic(jpg1, jpg.data(), jpg.size());
    CHECK(ds->get(1).rgb.shape() == Shape({3, 12, 16}));  // a whole JPEG is fine
    write_file_atomic(jpg1, jpg.data(), jpg.size() * 2 / 3);
    CHECK(error_of([&] { ds->get(1); }).find(jpg1 + ": truncated JPEG") == 0);
  }
  SUBCASE("a file that is not an image") {
    write_text(img2, "hello");
    CHECK(error_of([&] { ds->get(2); }).find(img2 + ": cannot decode image: ") == 0);
  }
}

TEST_CASE("dataset.json problems are one line naming the file") {
  TempDir dir("ulrseg_test_folder");
  const std::string path = dir.path + "/dataset.json";
  CHECK(error_of([&] { FolderDataset::open(dir.path, "train"); }) ==
        path + ": missing (not a ulrseg folder dataset)");
  make_dataset(dir.path);
  const std::string head = "{\"format\": \"ulrseg-folder\", \"version\": 1, ";
  const std::string classes = "\"classes\": [\"a\", \"b\", \"c\"], ";

  std::string msg = manifest_error(dir.path, "{\"format\": \"ulrseg-folder\",\n  \"version\": }");
  CHECK(msg.find(path + ": line 2 col ") == 0);
  CHECK(manifest_error(dir.path, "[1, 2]") == path + ": expected a JSON object at the top level");
  CHECK(manifest_error(dir.path, head + classes + "\"splits\": {}, \"extra\": 1}") ==
        path + ": unknown key \"extra\" (expected format, version, classes, ignore_index, splits)");
  CHECK(manifest_error(dir.path, head + "\"splits\": {}}") == path + ": missing key \"classes\"");
  CHECK(manifest_error(dir.path, "{\"format\": \"coco\", \"version\": 1, " + classes +
                                     "\"splits\": {}}") ==
        path + ": \"format\" must be \"ulrseg-folder\", got \"coco\"");
  CHECK(manifest_error(dir.path, "{\"format\": \"ulrseg-folder\", \"version\": 2, " + classes +
                                     "\"splits\": {}}") ==
        path + ": unsupported \"version\" 2 (this build reads version 1)");
  CHECK(manifest_error(dir.path, head + "\"classes\": [], \"splits\": {}}") ==
        path + ": \"classes\" must be a non-empty array of class names");
  CHECK(manifest_error(dir.path, head + "\"classes\": [\"a\", \"a\"], \"splits\": {}}") ==
        path + ": class \"a\" is listed twice");
  CHECK(manifest_error(dir.path, head + classes + "\"ignore_index\": 1, \"splits\": {}}") ==
        path + ": \"ignore_index\" 1 is a class id (classes 0..2)");
  CHECK(manifest_error(dir.path, head + classes + "\"ignore_index\": 300, \"splits\": {}}") ==
        path + ": \"ignore_index\" must be an integer in [0, 255], got 300");
  CHECK(manifest_error(dir.path, head + classes + "\"splits\": {\"train\": [\"../x\"]}}") ==
        path + ": split \"train\": bad sample name \"../x\" (use letters, digits, '.', '_', '-'; "
               "not starting with '.')");
  CHECK(manifest_error(dir.path, head + classes + "\"splits\": {\"train\": [\"a\", \"a\"]}}") ==
        path + ": split \"train\" lists \"a\" twice");
  CHECK(manifest_error(dir.path, head + classes +
                                     "\"splits\": {\"train\": [\"a\"], \"test\": [\"a\"]}}") ==
        path + ": sample \"a\" is in both split \"train\" and \"test\"");
  CHECK(manifest_error(dir.path, head + classes + "\"splits\": {\"train\": \"a\"}}") ==
        path + ": split \"train\" must be an array of sample names");

  // A custom ignore index is mapped to 255 on load.
  write_text(path, head + classes + "\"ignore_index\": 7, \"splits\": {\"train\": [\"s\"]}}");
  Image img(2, 1, 3), lab(2, 1, 1);
  lab.px = {7, 2};
  write_png(dir.path + "/images/s.png", img);
  write_png(dir.path + "/labels/s.png", lab);
  auto ds = FolderDataset::open(dir.path, "train");
  CHECK(ds->get(0).labels.data == std::vector<uint8_t>{255, 2});
  CHECK(error_of([&] { require_project_classes(ds->manifest(), "d.json"); }) ==
        "d.json: lists 3 classes; ulrseg's class table has 14 (see docs/DATASETS.md)");
  // Writing into a dataset with other classes is refused.
  CHECK(error_of([&] { FolderWriter w(dir.path, project_classes()); }) ==
        path + ": the existing dataset has other classes than the data being written");
}
