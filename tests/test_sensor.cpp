// The ULR sensor: area averaging, bicubic path, read noise, 8-bit quantisation, and fitting
// full-size images (centre crop + area, majority vote for label maps).
#include <doctest/doctest.h>

#include <cmath>

#include "data/sensor.h"
#include "engine/error.h"

#include "gradcheck.h"

using namespace ulr;

namespace {

using test::error_of;

SensorOptions options(SensorMode mode, int h, int w, float sigma, bool quantize) {
  SensorOptions o;
  o.mode = mode;
  o.out_h = h;
  o.out_w = w;
  o.noise_sigma = sigma;
  o.quantize = quantize;
  return o;
}

}  // namespace

TEST_CASE("area of a constant image is the constant") {
  for (float v : {0.0f, 0.3f, 0.7137f, 1.0f}) {
    Tensor hr = Tensor::full({2, 3, 64, 48}, v);
    Tensor ulr = sensor_capture(hr, options(SensorMode::Area, 16, 16, 0, false));
    REQUIRE(ulr.shape() == Shape({2, 3, 16, 16}));
    for (float x : ulr.to_vector()) CHECK(x == v);
  }
  Tensor chw = Tensor::full({3, 32, 32}, 0.25f);
  Tensor q = sensor_capture(chw, options(SensorMode::Area, 8, 8, 0, true));
  REQUIRE(q.shape() == Shape({3, 8, 8}));
  CHECK(q.to_vector()[0] == std::floor(0.25f * 255 + 0.5f) / 255.0f);
}

TEST_CASE("area of a known pattern averages each block") {
  // One 4x4 plane holding 0..15 -> 2x2 block means.
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[size_t(i)] = float(i) / 16.0f;
  Tensor x = Tensor::from_vector({1, 4, 4}, v);
  Tensor a = area_average(x, 2, 2);
  REQUIRE(a.shape() == Shape({1, 2, 2}));
  std::vector<float> want = {2.5f / 16, 4.5f / 16, 10.5f / 16, 12.5f / 16};
  for (int i = 0; i < 4; ++i) CHECK(a.to_vector()[size_t(i)] == doctest::Approx(want[size_t(i)]));
  // Non-square blocks: 4x4 -> 1x2 averages the two column halves.
  Tensor b = area_average(x, 1, 2);
  CHECK(b.to_vector()[0] == doctest::Approx((0 + 1 + 4 + 5 + 8 + 9 + 12 + 13) / 8.0f / 16));
  CHECK(b.to_vector()[1] == doctest::Approx((2 + 3 + 6 + 7 + 10 + 11 + 14 + 15) / 8.0f / 16));

  std::string msg = error_of([] {
    sensor_capture(Tensor::zeros({3, 30, 32}), options(SensorMode::Area, 16, 16, 0, true));
  });
  CHECK(msg == "sensor: area mode needs the HR size 30x32 to be a multiple of 16x16");
  CHECK(error_of([] { sensor_capture(Tensor::zeros({32, 32}), SensorOptions{}); })
            .find("expected an (N,C,H,W) or (C,H,W) tensor, got [32,32]") != std::string::npos);
}

TEST_CASE("quantisation rounds to k/255 and clamps") {
  Tensor x = Tensor::from_vector({1, 1, 6}, {-0.2f, 0.0f, 0.498f, 0.5f, 0.99f, 1.3f});
  clamp_and_quantize(x, true);
  std::vector<float> want = {0, 0, 127 / 255.0f, 128 / 255.0f, 252 / 255.0f, 1};
  for (int i = 0; i < 6; ++i) CHECK(x.to_vector()[size_t(i)] == want[size_t(i)]);

  Rng rng(3);
  Tensor hr = Tensor::uniform({3, 32, 32}, rng, 0, 1);
  Tensor ulr = sensor_capture(hr, options(SensorMode::Area, 16, 16, 0.02f, true), &rng);
  for (float v : ulr.to_vector()) {
    CHECK(v >= 0.0f);
    CHECK(v <= 1.0f);
    float k = v * 255.0f;
    CHECK(std::fabs(k - std::round(k)) < 1e-4f);
  }
}

TEST_CASE("read noise has the requested statistics and follows the seed") {
  const float sigma = 0.05f;
  Tensor hr = Tensor::full({3, 256, 256}, 0.5f);
  SensorOptions opt = options(SensorMode::Area, 128, 128, sigma, false);
  Rng rng(11);
  Tensor ulr = sensor_capture(hr, opt, &rng);
  double sum = 0, sq = 0;
  std::vector<float> v = ulr.to_vector();
  for (float x : v) sum += x, sq += double(x) * x;
  const double n = double(v.size()), mean = sum / n, var = sq / n - mean * mean;
  CHECK(mean == doctest::Approx(0.5).epsilon(0.002));
  CHECK(std::sqrt(var) == doctest::Approx(sigma).epsilon(0.02));

  Rng again(11), other(12);
  CHECK(sensor_capture(hr, opt, &again).to_vector() == v);
  CHECK(sensor_capture(hr, opt, &other).to_vector() != v);
  CHECK(error_of([&] { sensor_capture(hr, opt, nullptr); }) == "sensor: read noise needs an Rng");

  // No noise: the Rng is left untouched.
  Rng untouched(5);
  sensor_capture(hr, options(SensorMode::Area, 16, 16, 0, true), &untouched);
  CHECK(untouched.next_u32() == Rng(5).next_u32());
}

TEST_CASE("bicubic path: shapes, constants preserved, output is a valid 8-bit image") {
  Rng rng(1);
  Tensor batch = Tensor::uniform({2, 3, 64, 64}, rng, 0, 1);
  Tensor ulr = sensor_capture(batch, options(SensorMode::Bicubic, 16, 16, 0, true));
  CHECK(ulr.shape() == Shape({2, 3, 16, 16}));
  for (float v : ulr.to_vector()) {
    CHECK(v >= 0.0f);
    CHECK(v <= 1.0f);
  }
  Tensor odd = Tensor::full({3, 40, 30}, 0.6f);
  Tensor small = sensor_capture(odd, options(SensorMode::Bicubic, 16, 16, 0, false));
  REQUIRE(small.shape() == Shape({3, 16, 16}));
  for (float v : small.to_vector()) CHECK(v == doctest::Approx(0.6f).epsilon(1e-5));
  CHECK(parse_sensor_mode("bicubic") == SensorMode::Bicubic);
  CHECK(error_of([] { parse_sensor_mode("nearest"); }) ==
        "sensor mode: unknown 'nearest' (area, bicubic)");
}

TEST_CASE("centre crop and fitting full-size images") {
  CropBox box = centre_crop_box(480, 640, 16, 16);
  CHECK(box.factor == 30);
  CHECK(box.height == 480);
  CHECK(box.width == 480);
  CHECK(box.x0 == 80);
  CHECK(box.y0 == 0);
  CropBox wide = centre_crop_box(100, 70, 16, 32);  // f = min(6, 2) = 2
  CHECK(wide.factor == 2);
  CHECK(wide.height == 32);
  CHECK(wide.width == 64);
  CHECK(wide.y0 == 34);
  CHECK(wide.x0 == 3);
  CHECK(error_of([] { centre_crop_box(10, 40, 16, 16); }) ==
        "crop: image 10x40 is smaller than the target 16x16");

  // A 6x8 photo: left half black, right half white; 2x2 sensor crops the central 6x6.
  Image photo(8, 6, 3);
  for (int y = 0; y < 6; ++y)
    for (int x = 4; x < 8; ++x)
      for (int c = 0; c < 3; ++c) photo.at(x, y)[c] = 255;
  Tensor ulr = sensor_from_photo(photo, options(SensorMode::Area, 2, 2, 0, true));
  REQUIRE(ulr.shape() == Shape({3, 2, 2}));
  // The crop spans columns 1..6: 1..3 are black, 4..6 white.
  CHECK(ulr.to_vector()[0] == 0.0f);
  CHECK(ulr.to_vector()[1] == 1.0f);

  Tensor img = Tensor::full({3, 12, 20}, 0.4f);
  Tensor fitted = fit_image(img, 4, 4);
  CHECK(fitted.shape() == Shape({3, 4, 4}));
  CHECK(fitted.to_vector()[5] == doctest::Approx(0.4f));
  CHECK(fit_image(fitted, 4, 4).same(fitted));
}

TEST_CASE("label maps are fitted by majority vote, ignore counted last") {
  // 4x4 -> 2x2 blocks:  [1 1 | 2 3]   block (0,0): 1 x3, 5 x1 -> 1
  //                     [1 5 | 3 2]   block (0,1): 2 x2, 3 x2 -> tie -> 2
  //                     [255 255 | 255 255]  block (1,0): 255 x3, 4 x1 -> 4 (ignore loses)
  //                     [255 4 | 255 255]    block (1,1): all 255 -> 255
  Labels m(Shape{1, 4, 4});
  m.data = {1, 1, 2, 3, 1, 5, 3, 2, 255, 255, 255, 255, 255, 4, 255, 255};
  Labels f = fit_labels(m, 2, 2);
  CHECK(f.shape == Shape({1, 2, 2}));
  CHECK(f.data == std::vector<uint8_t>{1, 2, 4, 255});

  IntTensor<int16_t> id(Shape{1, 2, 2}, -1);
  id.data[3] = 7;
  CHECK(fit_identity(id, 1, 1).data == std::vector<int16_t>{-1});
  CHECK(error_of([] { fit_labels(Labels(Shape{2, 4, 4}), 2, 2); }) ==
        "fit_labels: expected a (1,H,W) map, got [2,4,4]");
}
