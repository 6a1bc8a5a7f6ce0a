// `data import`: the releases' layouts made small (a few images in exactly the files and names
// the downloads unpack to, a tiny HDF5 file with the .mat's dataset names and shapes), the
// published class mappings checked pixel by pixel, the crop and resize against hand-worked
// numbers, and the import's resume, skip-bad and settings rules.
#include <doctest/doctest.h>

#include <stb_image_write.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#ifdef ULRSEG_HAVE_HDF5
#include <hdf5.h>
#endif

#include "data/classes.h"
#include "data/folder.h"
#include "data/import.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/image.h"

#include "gradcheck.h"
#include "temp_dir.h"

using namespace ulr;
using test::error_of;

namespace {

// A test image whose every pixel differs: RGB value of (x, y) in image `seed`.
Image pattern(int w, int h, int seed) {
  Image img(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) img.at(x, y)[c] = uint8_t((seed * 50 + c * 80 + x * 13 + y * 29) % 256);
  return img;
}

// Label value of pixel p in label file `seed`: every value 0..count-1 appears.
Image label_pattern(int w, int h, int seed, int count) {
  Image lab(w, h, 1);
  for (int p = 0; p < w * h; ++p) lab.px[size_t(p)] = uint8_t((p + seed) % count);
  return lab;
}

void write_jpg(const std::string& path, const Image& img) {
  REQUIRE(stbi_write_jpg(path.c_str(), img.width, img.height, img.channels, img.px.data(), 95) != 0);
}

ImportOptions same_size(int h, int w) {
  ImportOptions o;
  o.height = h, o.width = w;
  return o;
}

// The 37 SUN RGB-D classes in order, and the 13-class name SceneNet's table gives each.
const char* const kSun37To13[37] = {
    "wall",    "floor",     "furniture", "bed",       "chair",   "sofa",      "table",
    "wall",    "window",    "furniture", "picture",   "furniture", "window",  "table",
    "furniture", "window",  "furniture", "objects",   "objects", "floor",     "objects",
    "ceiling", "books",     "furniture", "tv",        "objects", "objects",   "objects",
    "objects", "objects",   "objects",   "furniture", "objects", "objects",   "objects",
    "objects", "objects"};

// The SUN RGB-D release in small: two test images, one training image, the label folder.
struct SunLayout {
  test::TempDir root{"ulrseg_test_sun"};
  std::string test_images = root.path + "/SUNRGBD-test_images";
  std::string train_images = root.path + "/SUNRGBD-train_images";
  std::string labels = root.path + "/sunrgbd_train_test_labels";
  static constexpr int W = 8, H = 5;  // 40 pixels: every one of the 38 values appears
  SunLayout() {
    make_dirs(test_images), make_dirs(train_images), make_dirs(labels);
    write_jpg(test_images + "/img-000001.jpg", pattern(W, H, 1));
    write_jpg(test_images + "/img-000002.jpg", pattern(W, H, 2));
    write_jpg(train_images + "/img-000001.jpg", pattern(W, H, 3));
    write_png(labels + "/img-000001.png", label_pattern(W, H, 0, 38));
    write_png(labels + "/img-000002.png", label_pattern(W, H, 5, 38));
    write_png(labels + "/img-005051.png", label_pattern(W, H, 11, 38));  // training image 1
  }
  ImportSpec spec(const std::string& split) const {
    ImportSpec s;
    s.format = ImportFormat::SunRgbd;
    s.images = split == "train" ? train_images : test_images;
    s.labels = labels;
    s.split = split;
    return s;
  }
};

Image read_label(const std::string& dir, const std::string& name) {
  return read_image(dir + "/labels/" + name + ".png");
}

}  // namespace

TEST_CASE("the published tables: SceneNet's 40 -> 13, the 894 -> 40 mapping and NYUv2's split") {
  for (int k = 1; k <= 37; ++k) {
    INFO("SUN RGB-D class " << k);
    CHECK(nyu40_to_13(k) == class_by_name(kSun37To13[k - 1]));
  }
  CHECK(nyu40_to_13(38) == kObjects);    // other structure
  CHECK(nyu40_to_13(39) == kFurniture);  // other furniture
  CHECK(nyu40_to_13(40) == kObjects);    // other prop
  // NYUv2's own label names: 3 cabinet, 4 ceiling, 5 chair, 11 floor, 21 wall.
  CHECK(nyu894_to_40(3) == 3);
  CHECK(nyu894_to_40(4) == 22);
  CHECK(nyu894_to_40(5) == 5);
  CHECK(nyu894_to_40(11) == 2);
  CHECK(nyu894_to_40(21) == 1);
  // How many of the 894 labels each class receives, counted from classMapping40.mat: one for
  // each of the 37 named classes, 68 / 82 / 707 for the three "other" classes.
  std::vector<int> per40(41, 0), per13(kNumClasses, 0);
  for (int k = 1; k <= 894; ++k) ++per40[size_t(nyu894_to_40(k))], ++per13[size_t(nyu40_to_13(nyu894_to_40(k)))];
  for (int c = 1; c <= 37; ++c) CHECK(per40[size_t(c)] == 1);
  CHECK(per40[38] == 68);
  CHECK(per40[39] == 82);
  CHECK(per40[40] == 707);
  CHECK(per13 == std::vector<int>{0, 1, 1, 1, 1, 2, 89, 789, 1, 1, 2, 1, 2, 3});
  int tests = 0;
  for (int i = 1; i <= kNyuLabelledImages; ++i) tests += nyu_official_test(i);
  CHECK(tests == 654);
  CHECK(nyu_official_test(1));
  CHECK(nyu_official_test(2));
  CHECK_FALSE(nyu_official_test(3));
  CHECK(nyu_official_test(9));
  CHECK(nyu_official_test(1449));
  CHECK(error_of([] { nyu_official_test(1450); }) == "NYUv2 image index 1450 is not in 1..1449");
  CHECK(error_of([] { nyu894_to_40(0); }) == "NYUv2 label 0 is not in 1..894");
}

TEST_CASE("SUN RGB-D: images and the 37-class labels of the release, mapped 37 -> 13 pixel by pixel") {
  SunLayout sun;
  test::TempDir out("ulrseg_test_sun_out");
  const auto test_split = open_import_source(sun.spec("test"));
  REQUIRE(test_split->items().size() == 2);
  CHECK(test_split->items()[1].name == "sunrgbd-test-000002");
  CHECK(test_split->items()[1].label == sun.labels + "/img-000002.png");
  const auto train_split = open_import_source(sun.spec("train"));
  REQUIRE(train_split->items().size() == 1);
  CHECK(train_split->items()[0].label == sun.labels + "/img-005051.png");  // after the 5050 tests

  const ImportReport t = import_dataset(*test_split, out.path, same_size(SunLayout::H, SunLayout::W));
  CHECK(t.written == 2);
  import_dataset(*train_split, out.path, same_size(SunLayout::H, SunLayout::W));
  auto expect_mapped = [&](const std::string& name, int seed, int unlabelled) {
    INFO(name);
    const Image lab = read_label(out.path, name);
    REQUIRE(lab.px.size() == size_t(SunLayout::W * SunLayout::H));
    for (size_t p = 0; p < lab.px.size(); ++p) {
      const int v = int(p + size_t(seed)) % 38;
      CHECK(int(lab.px[p]) == (v == 0 ? unlabelled : class_by_name(kSun37To13[v - 1])));
    }
  };
  expect_mapped("sunrgbd-test-000001", 0, kUnknown);
  expect_mapped("sunrgbd-test-000002", 5, kUnknown);
  expect_mapped("sunrgbd-train-000001", 11, kUnknown);
  // The image at its own size is the JPEG's pixels, exactly.
  CHECK(read_image(out.path + "/images/sunrgbd-train-000001.png").px ==
        read_image(sun.train_images + "/img-000001.jpg").px);
  const FolderManifest m = read_manifest(out.path);
  require_project_classes(m, "imported");
  CHECK(*m.split("test") == std::vector<std::string>{"sunrgbd-test-000001", "sunrgbd-test-000002"});
  CHECK(*m.split("train") == std::vector<std::string>{"sunrgbd-train-000001"});
  CHECK(FolderDataset::open(out.path, "test")->get(1).labels.data == read_label(out.path, "sunrgbd-test-000002").px);

  // Unlabelled as ignore: label 0 becomes 255, nothing else changes.
  test::TempDir ignored("ulrseg_test_sun_ignore");
  ImportSpec spec = sun.spec("test");
  spec.unlabelled = Unlabelled::Ignore;
  import_dataset(*open_import_source(spec), ignored.path, same_size(SunLayout::H, SunLayout::W));
  const Image lab = read_label(ignored.path, "sunrgbd-test-000002");
  for (size_t p = 0; p < lab.px.size(); ++p) {
    const int v = int(p + 5) % 38;
    CHECK(int(lab.px[p]) == (v == 0 ? 255 : class_by_name(kSun37To13[v - 1])));
  }
}

TEST_CASE("SUN RGB-D: what the listing refuses") {
  SunLayout sun;
  write_jpg(sun.test_images + "/img-005051.jpg", pattern(8, 5, 4));  // beyond the test list
  const auto src = open_import_source(sun.spec("test"));
  REQUIRE(src->items().size() == 3);
  CHECK(src->items()[2].problem == sun.test_images +
        "/img-005051.jpg: not in the official SUN RGB-D test list (img-000001.jpg .. img-005050.jpg)");
  ImportSpec wrong = sun.spec("test");
  wrong.labels = sun.train_images;
  CHECK(error_of([&] { open_import_source(wrong); }) ==
        sun.train_images + ": holds none of the labels of these images (expected img-000001.png .. "
                           "img-005050.png for the test images)");
  wrong = sun.spec("test");
  wrong.images = sun.labels;
  CHECK(error_of([&] { open_import_source(wrong); }) ==
        sun.labels + ": no SUN RGB-D images (img-NNNNNN.jpg) in this folder");
  wrong.images = sun.root.path + "/nowhere";
  CHECK(error_of([&] { open_import_source(wrong); }).find(wrong.images + ": cannot list folder: ") == 0);
}

TEST_CASE("NYUv2 13-class PNGs: the official split by image number, labels kept, val from train") {
  test::TempDir root("ulrseg_test_nyu");
  const std::string images = root.path + "/nyu_train_rgb", labels = root.path + "/labels13";
  make_dirs(images), make_dirs(labels);
  const int W = 7, H = 4;
  for (int k : {1, 3, 4}) {  // 1 is an official test image, 3 and 4 training images
    char name[64];
    std::snprintf(name, sizeof name, "/nyu_rgb_%04d.png", k);
    write_png(images + name, pattern(W, H, k));
    std::snprintf(name, sizeof name, "/new_nyu_class13_%04d.png", k);
    write_png(labels + name, label_pattern(W, H, k, 14));
  }
  write_png(images + "/nyu_rgb_1450.png", pattern(W, H, 9));  // there are 1449
  ImportSpec spec;
  spec.format = ImportFormat::Nyu;
  spec.images = images, spec.labels = labels, spec.unlabelled = Unlabelled::Ignore;
  const auto src = open_import_source(spec);
  REQUIRE(src->items().size() == 4);
  test::TempDir out("ulrseg_test_nyu_out");
  ImportOptions o = same_size(H, W);
  o.val = 1;
  o.skip_bad = true;
  std::vector<std::string> bad;
  const ImportReport r = import_dataset(*src, out.path, o, {}, [&](const std::string& l) { bad.push_back(l); });
  CHECK(bad == std::vector<std::string>{images + "/nyu_rgb_1450.png: not one of NYUv2's 1449 "
                                                 "labelled images (nyu_rgb_0001.png .. nyu_rgb_1449.png)"});
  CHECK(r.bad == bad);
  const FolderManifest m = read_manifest(out.path);
  CHECK(*m.split("test") == std::vector<std::string>{"nyu-0001"});
  CHECK(*m.split("train") == std::vector<std::string>{"nyu-0003"});
  CHECK(*m.split("val") == std::vector<std::string>{"nyu-0004"});
  const Image lab = read_label(out.path, "nyu-0004");
  for (size_t p = 0; p < lab.px.size(); ++p) {
    const int v = int(p + 4) % 14;
    CHECK(int(lab.px[p]) == (v == 0 ? 255 : v));
  }
  CHECK(read_image(out.path + "/images/nyu-0003.png").px == pattern(W, H, 3).px);
}

#ifdef ULRSEG_HAVE_HDF5

namespace {

// The NYUv2 label of pixel (x, y) of image n in the test's .mat: 894 and 0 among them.
uint16_t mat_label(int n, int x, int y) {
  if (n == 0 && y == 0 && x < 2) return x == 0 ? 894 : 0;
  return uint16_t((n * 311 + x * 37 + y * 5) % 895);
}

// Writes what nyu_depth_v2_labeled.mat holds, at N images of W x H: a 512-byte MATLAB header,
// then HDF5 datasets images (N,3,W,H) uint8, labels (N,W,H) uint16 and depths (N,W,H) float,
// MATLAB's H x W x 3 x N arrays with the dimensions reversed.
void write_nyu_mat(const std::string& path, int N, int W, int H, bool labels_match = true) {
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  H5Pset_userblock(fcpl, 512);
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  REQUIRE(file >= 0);
  auto write = [&](const char* name, std::vector<hsize_t> dims, hid_t file_type, hid_t mem_type,
                   const void* data) {
    hid_t space = H5Screate_simple(int(dims.size()), dims.data(), nullptr);
    hid_t set = H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(H5Dwrite(set, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(set);
    H5Sclose(space);
  };
  std::vector<uint8_t> images(size_t(N) * 3 * W * H);
  std::vector<uint16_t> labels(size_t(N) * W * (H + 1));  // room for the mismatched shape
  std::vector<float> depths(size_t(N) * W * H, 2.5f);
  for (int n = 0; n < N; ++n)
    for (int x = 0; x < W; ++x)
      for (int y = 0; y < H; ++y) {
        for (int c = 0; c < 3; ++c)
          images[((size_t(n) * 3 + c) * W + x) * H + y] = pattern(W, H, n + 1).at(x, y)[c];
        labels[(size_t(n) * W + x) * H + y] = mat_label(n, x, y);
      }
  write("images", {hsize_t(N), 3, hsize_t(W), hsize_t(H)}, H5T_STD_U8LE, H5T_NATIVE_UINT8, images.data());
  write("labels", {hsize_t(N), hsize_t(W), hsize_t(labels_match ? H : H + 1)}, H5T_STD_U16LE,
        H5T_NATIVE_UINT16, labels.data());
  write("depths", {hsize_t(N), hsize_t(W), hsize_t(H)}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, depths.data());
  H5Fclose(file);
  H5Pclose(fcpl);
  FILE* f = std::fopen(path.c_str(), "r+b");
  REQUIRE(f);
  const char header[] = "MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: test HDF5 schema 1.00 .";
  std::fwrite(header, 1, sizeof header - 1, f);
  std::fclose(f);
}

}  // namespace

TEST_CASE("NYUv2 .mat: images and 894-class labels read through HDF5, transposed, mapped 894 -> 40 -> 13") {
  test::TempDir root("ulrseg_test_nyumat");
  const std::string mat = root.path + "/nyu_depth_v2_labeled.mat";
  const int N = 3, W = 7, H = 5;
  write_nyu_mat(mat, N, W, H);
  ImportSpec spec;
  spec.format = ImportFormat::NyuMat;
  spec.mat = mat;
  const auto src = open_import_source(spec);
  REQUIRE(src->items().size() == 3);
  CHECK(src->items()[2].name == "nyu-0003");
  const ImportReport r = import_dataset(*src, root.path + "/out", same_size(H, W));
  CHECK(r.written == 3);
  CHECK(r.splits == std::vector<std::pair<std::string, int64_t>>{{"test", 2}, {"train", 1}});
  int seen_894 = 0;
  for (int n = 0; n < N; ++n) {
    char name[16];
    std::snprintf(name, sizeof name, "nyu-%04d", n + 1);
    INFO(name);
    CHECK(read_image(root.path + "/out/images/" + name + ".png").px == pattern(W, H, n + 1).px);
    const Image lab = read_label(root.path + "/out", name);
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const int v = mat_label(n, x, y);
        seen_894 += v == 894;
        CHECK(int(lab.at(x, y)[0]) == (v == 0 ? int(kUnknown) : nyu40_to_13(nyu894_to_40(v))));
      }
  }
  CHECK(seen_894 == 1);  // the last label is among them

  spec.mat = root.path + "/mismatched.mat";
  write_nyu_mat(spec.mat, N, W, H, false);
  CHECK(error_of([&] { open_import_source(spec); }) ==
        spec.mat + ": dataset \"labels\" has shape (3, 7, 6), expected (3, 7, 5) to match \"images\" (3, 3, 7, 5)");
  spec.mat = root.path + "/image.png";
  write_png(spec.mat, pattern(4, 4, 1));
  CHECK(error_of([&] { open_import_source(spec); }) ==
        spec.mat + ": not an HDF5 file (nyu_depth_v2_labeled.mat is MATLAB v7.3, which is HDF5)");
}

#else

TEST_CASE("NYUv2 .mat without HDF5: one line saying what the build needs") {
  CHECK_FALSE(import_has_hdf5());
  CHECK(error_of([] { open_nyu_mat("x.mat", Unlabelled::Unknown); }).find(
            "x.mat: reading the NYUv2 .mat needs a build with HDF5") == 0);
}

#endif

TEST_CASE("folder import: images + label PNGs + a class-map JSON") {
  test::TempDir root("ulrseg_test_generic");
  const std::string images = root.path + "/img", labels = root.path + "/lab", map = root.path + "/map.json";
  make_dirs(images), make_dirs(labels);
  write_png(images + "/a.png", pattern(6, 6, 1));
  write_jpg(images + "/b.JPG", pattern(6, 6, 2));  // a camera's upper-case name
  write_png(labels + "/a.png", label_pattern(6, 6, 0, 9));
  write_png(labels + "/b.png", label_pattern(6, 6, 3, 9));
  auto write_map = [&](const std::string& text) { write_file_atomic(map, text.data(), text.size()); };
  write_map(R"({"map": {"0": "ignore", "1": "wall", "2": 5, "7": "tv"}, "unmapped": "objects"})");
  ImportSpec spec;
  spec.format = ImportFormat::Folder;
  spec.images = images, spec.labels = labels, spec.class_map = map, spec.split = "test";
  import_dataset(*open_import_source(spec), root.path + "/out", same_size(6, 6));
  const Image lab = read_label(root.path + "/out", "b");
  for (size_t p = 0; p < lab.px.size(); ++p) {
    const int v = int(p + 3) % 9;
    const int want = v == 0 ? 255 : v == 1 ? kWall : v == 2 ? kFloor : v == 7 ? kTv : kObjects;
    CHECK(int(lab.px[p]) == want);
  }
  CHECK(*read_manifest(root.path + "/out").split("test") == std::vector<std::string>{"a", "b"});

  // Without "unmapped", a value the map leaves out is an error naming the file and the pixel.
  write_map(R"({"map": {"0": "ignore", "1": "wall"}})");
  ImportOptions strict = same_size(6, 6);
  CHECK(error_of([&] { import_dataset(*open_import_source(spec), root.path + "/strict", strict); }) ==
        labels + "/a.png: label value 2 at (x=2, y=0) is not a " + map +
            " label (the class map covers 0..255)");
  auto map_error = [&](const std::string& text) {
    write_map(text);
    return error_of([&] { read_class_map(map); });
  };
  CHECK(map_error(R"({"map": {"0": "wall"}, "default": "ignore"})") ==
        map + ": unknown key \"default\" (expected map, unmapped)");
  CHECK(map_error(R"({"map": {"256": "wall"}})") ==
        map + ": \"map\": key \"256\" is not a label value (a decimal number 0..255)");
  CHECK(map_error(R"({"map": {"1": "sofas"}})") ==
        map + ": \"map\": \"1\": expected a class name (unknown, bed, ..., window), a class id 0..13 "
              "or \"ignore\", got \"sofas\"");
  CHECK(map_error(R"({"map": {"1": 14}})").find("got 14") != std::string::npos);
  CHECK(map_error(R"({"map": {}})") == map + ": \"map\" must be a non-empty object of label value -> class");
}

TEST_CASE("crop boxes: the largest centred window with the output's aspect, or a centred square") {
  CropBox b = import_crop_box(480, 640, 0, 64, 64);
  CHECK((b.x0 == 80 && b.y0 == 0 && b.width == 480 && b.height == 480));
  b = import_crop_box(480, 640, 384, 128, 128);  // the paper's crop
  CHECK((b.x0 == 128 && b.y0 == 48 && b.width == 384 && b.height == 384));
  b = import_crop_box(530, 730, 0, 64, 64);
  CHECK((b.x0 == 100 && b.y0 == 0 && b.width == 530));
  b = import_crop_box(480, 640, 0, 48, 96);  // wider than the image: full width
  CHECK((b.x0 == 0 && b.y0 == 80 && b.width == 640 && b.height == 320));
  CHECK(error_of([] { import_crop_box(480, 640, 500, 64, 64); }) ==
        "image is 640x480 (WxH), smaller than the crop 500x500");
  CHECK(error_of([] { import_crop_box(480, 640, 384, 64, 32); }) ==
        "crop: a square crop needs a square size, got 64x32");
}

TEST_CASE("area resize: block means for whole multiples, partial pixels weighted otherwise") {
  Rng rng(5);
  Image img(12, 8, 3);
  for (auto& v : img.px) v = uint8_t(rng.below(256));
  const CropBox full{0, 0, 8, 12, 0};
  const std::vector<float> got = resize_image_area(img, full, 4, 6).to_vector();
  const std::vector<float> want = area_average(image_to_tensor(img), 4, 6).to_vector();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6));

  // 3 grey pixels (0, 90, 180) -> 2: (0 + 90/2) / 1.5 = 30 and (90/2 + 180) / 1.5 = 150.
  Image row(3, 1, 1);
  row.px = {0, 90, 180};
  const Tensor two = resize_image_area(row, CropBox{0, 0, 1, 3, 0}, 1, 2);
  CHECK(two.data()[0] == doctest::Approx(30.0 / 255));
  CHECK(two.data()[1] == doctest::Approx(150.0 / 255));
  CHECK(two.data()[2 * 2 - 1] == doctest::Approx(150.0 / 255));  // grey replicated to G
  CHECK(two.data()[2 * 2 + 1] == doctest::Approx(150.0 / 255));  // and B

  // 640x480 -> 128x128 through the default crop: a uniform image stays uniform.
  Image flat(640, 480, 3);
  std::fill(flat.px.begin(), flat.px.end(), uint8_t(77));
  const std::vector<float> small =
      resize_image_area(flat, import_crop_box(480, 640, 0, 128, 128), 128, 128).to_vector();
  CHECK(small.size() == size_t(3 * 128 * 128));
  CHECK(*std::min_element(small.begin(), small.end()) == doctest::Approx(77.0 / 255));
  CHECK(*std::max_element(small.begin(), small.end()) == doctest::Approx(77.0 / 255));
}

TEST_CASE("label resize: majority of the area (fit_labels' vote for whole multiples), or nearest") {
  Rng rng(9);
  std::vector<uint8_t> ids(size_t(12) * 9);
  for (auto& v : ids) v = rng.below(6) == 0 ? 255 : uint8_t(rng.below(3));
  Labels map(Shape{1, 9, 12});
  map.data = ids;
  CHECK(resize_labels(ids, 12, CropBox{0, 0, 9, 12, 0}, 3, 4, LabelResize::Majority).data ==
        fit_labels(map, 3, 4).data);

  auto one_row = [](std::vector<uint8_t> ids, LabelResize mode) {
    return resize_labels(ids, 3, CropBox{0, 0, 1, 3, 0}, 1, 2, mode).data;
  };
  // 3 -> 2: output pixel 0 covers all of source 0 and half of 1; pixel 1 half of 1 and all of 2.
  CHECK(one_row({1, 2, 3}, LabelResize::Majority) == std::vector<uint8_t>{1, 3});
  CHECK(one_row({1, 2, 2}, LabelResize::Majority) == std::vector<uint8_t>{1, 2});
  CHECK(one_row({255, 255, 4}, LabelResize::Majority) == std::vector<uint8_t>{255, 4});
  CHECK(one_row({2, 1, 2}, LabelResize::Majority) == std::vector<uint8_t>{2, 2});
  CHECK(one_row({1, 2, 3}, LabelResize::Nearest) == std::vector<uint8_t>{1, 3});  // centres 0.75, 2.25
}

TEST_CASE("an import resumes where it stopped, keeps its settings, and reports bad files") {
  SunLayout sun;
  test::TempDir out("ulrseg_test_resume");
  const auto src = open_import_source(sun.spec("test"));
  ImportOptions o;
  o.height = o.width = 4;
  CHECK(import_dataset(*src, out.path, o).written == 2);
  ImportReport again = import_dataset(*src, out.path, o);
  CHECK((again.written == 0 && again.resumed == 2));
  std::remove((out.path + "/images/sunrgbd-test-000002.png").c_str());
  again = import_dataset(*src, out.path, o);
  CHECK((again.written == 1 && again.resumed == 1));
  for (const std::string& f : list_folder(out.path)) CHECK(f.find(".tmp.") == std::string::npos);

  ImportOptions other = o;
  other.label_resize = LabelResize::Nearest;
  const std::string err = error_of([&] { import_dataset(*src, out.path, other); });
  CHECK(err.find(out.path + "/import.json: " + out.path + " was imported with ") == 0);
  CHECK(err.find("\"label_resize\":\"majority\"") != std::string::npos);

  // A damaged JPEG and a label with a value no SUN RGB-D label has: the first stops the import
  // (naming the file); with skip_bad both are reported, in order, and left out of the split.
  const std::string jpg = sun.test_images + "/img-000001.jpg";
  std::vector<unsigned char> bytes = read_file(jpg);
  write_file_atomic(jpg, bytes.data(), bytes.size() / 2);
  Image bad_label = label_pattern(8, 5, 0, 38);
  bad_label.at(3, 2)[0] = 40;
  write_png(sun.labels + "/img-000002.png", bad_label);
  test::TempDir fresh("ulrseg_test_bad");
  CHECK(error_of([&] { import_dataset(*src, fresh.path, o); }).find(jpg + ": truncated JPEG") == 0);
  o.skip_bad = true;
  std::vector<std::string> lines;
  int64_t last_done = 0;
  CHECK(error_of([&] {
          import_dataset(*src, fresh.path, o, [&](int64_t done, int64_t) { last_done = done; },
                         [&](const std::string& line) { lines.push_back(line); });
        }) == fresh.path + ": no sample could be imported (2 bad)");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find(jpg + ": truncated JPEG") == 0);
  CHECK(lines[1] == sun.labels + "/img-000002.png: label value 40 at (x=3, y=2) is not a SUN RGB-D "
                                 "37-class label (the class map covers 0..37)");
  CHECK(last_done == 2);
  write_jpg(jpg, pattern(8, 5, 1));
  const ImportReport r = import_dataset(*src, fresh.path, o);
  CHECK((r.written == 1 && r.bad.size() == 1));
  CHECK(*read_manifest(fresh.path).split("test") == std::vector<std::string>{"sunrgbd-test-000001"});
}
