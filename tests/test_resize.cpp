// Bilinear/bicubic resize (torch align_corners=False) and area downsampling.
// Known values were computed with torch 1.13:
//   x = (torch.arange(12.).reshape(1,1,3,4)) ** 1.5
//   F.interpolate(x, size=..., mode='bilinear'|'bicubic', align_corners=False)
#include <doctest/doctest.h>

#include <cstring>

#include "engine/error.h"
#include "engine/parallel.h"
#include "gradcheck.h"
#include "ops/reference.h"

using namespace ulr;

static Tensor ramp() {
  std::vector<float> v(12);
  for (int i = 0; i < 12; ++i) v[size_t(i)] = float(std::pow(double(i), 1.5));
  return Tensor::from_vector({1, 1, 3, 4}, v);
}

TEST_CASE("bilinear and bicubic match torch on a small ramp") {
  Tensor x = ramp();
  const double rtol = 1e-5, atol = 1e-5;
  test::check_close(resize_bilinear(x, 5, 7),
                    Tensor::from_vector({1, 1, 5, 7},
                        {0, 0.3571429, 0.92857146, 1.9142138, 2.9975507, 4.3505363, 5.1961522,
                         3.2000003, 3.8686202, 4.9384122, 6.3239846, 7.7865443, 9.4722376, 10.525796,
                         8.000001, 9.1358366, 10.953174, 12.938641, 14.970035, 17.154789, 18.520262,
                         16.776451, 18.167767, 20.393875, 22.762291, 25.16997, 27.710192, 29.297829,
                         22.627417, 24.189053, 26.687674, 29.311388, 31.969927, 34.747124, 36.482872}),
                    rtol, atol, "bilinear up");
  test::check_close(resize_bilinear(x, 2, 3),
                    Tensor::from_vector({1, 1, 2, 3},
                        {2.2575142, 4.67032, 8.071909, 19.649651, 25.218201, 31.225401}),
                    rtol, atol, "bilinear down");
  test::check_close(resize_bicubic(x, 5, 7),
                    Tensor::from_vector({1, 1, 5, 7},
                        {-0.8464492, -0.60105646, -0.09952452, 0.72112268, 1.8934985, 3.2603443, 4.1380925,
                         1.8761982, 2.5027549, 3.5992186, 4.9099479, 6.4893036, 8.2466383, 9.3561516,
                         7.684463, 8.8674154, 10.835937, 12.878362, 15.07813, 17.43375, 18.899599,
                         17.124475, 18.648401, 21.162935, 23.706053, 26.370457, 29.183393, 30.925404,
                         23.586475, 25.269758, 28.043518, 30.838871, 33.749859, 36.808144, 38.699364}),
                    rtol, atol, "bicubic up");
  test::check_close(resize_bicubic(x, 2, 3),
                    Tensor::from_vector({1, 1, 2, 3},
                        {1.4689451, 3.7229881, 7.2391944, 20.117493, 25.942896, 32.287437}),
                    rtol, atol, "bicubic down");
  // Same size is the identity for both.
  test::check_close(resize_bilinear(x, 3, 4), x, 0, 0, "bilinear same size");
  test::check_close(resize_bicubic(x, 3, 4), x, 0, 0, "bicubic same size");
}

TEST_CASE("resize matches reference on random sizes") {
  Rng rng(1);
  struct Case {
    Shape in;
    int oh, ow;
  };
  std::vector<Case> cases = {{{2, 3, 4, 5}, 8, 10}, {{1, 2, 16, 16}, 64, 64}, {{2, 1, 7, 9}, 3, 4},
                             {{1, 3, 16, 16}, 5, 7}, {{1, 1, 5, 3}, 11, 2}, {{1, 1, 1, 4}, 3, 2},
                             {{2, 2, 3, 3}, 3, 7}, {{1, 1, 2, 2}, 1, 1}, {{1, 2, 1, 1}, 4, 3}};
  for (auto& c : cases) {
    Tensor x = test::random_tensor(c.in, rng);
    std::string what = c.in.str() + " -> " + std::to_string(c.oh) + "x" + std::to_string(c.ow);
    Tensor want = Tensor::empty({c.in[0], c.in[1], c.oh, c.ow});
    ref::resize_bilinear(want, x, c.oh, c.ow);
    test::check_close(resize_bilinear(x, c.oh, c.ow), want, 1e-5, 1e-5, "bilinear " + what);
    ref::resize_bicubic(want, x, c.oh, c.ow);
    test::check_close(resize_bicubic(x, c.oh, c.ow), want, 1e-5, 1e-5, "bicubic " + what);
  }
  CHECK_THROWS_WITH_AS(resize_bilinear(Tensor::zeros({2, 3, 4}), 2, 2),
                       "resize_bilinear: x [2,3,4] to 2x2: need x (N,C,H,W) with H, W >= 1 and a size >= 1",
                       Error);
  CHECK_THROWS_AS(resize_bicubic(Tensor::zeros({1, 1, 4, 4}), 0, 2), Error);
}

TEST_CASE("resize gradients match finite differences") {
  Rng rng(2);
  struct Case {
    Shape in;
    int oh, ow;
  };
  for (auto& c : std::vector<Case>{{{1, 2, 4, 5}, 7, 9}, {{2, 1, 6, 5}, 3, 2}, {{1, 1, 3, 7}, 5, 4}}) {
    Tensor x = test::random_tensor(c.in, rng).set_requires_grad(true);
    int oh = c.oh, ow = c.ow;
    test::check_gradients([oh, ow](auto& in) { return resize_bilinear(in[0], oh, ow); }, {x}, rng, {},
                          "bilinear " + c.in.str());
    test::check_gradients([oh, ow](auto& in) { return resize_bicubic(in[0], oh, ow); }, {x}, rng, {},
                          "bicubic " + c.in.str());
  }
}

TEST_CASE("resize backward is identical for 1 and 2 threads") {
  Rng rng(3);
  Tensor x = test::random_tensor({4, 3, 16, 16}, rng).set_requires_grad(true);
  Tensor seed = test::random_tensor({4, 3, 37, 29}, rng);
  std::vector<float> grads[2];
  for (int threads : {1, 2}) {
    ThreadScope scope(threads);
    x.zero_grad();
    backward(resize_bicubic(x, 37, 29), seed);
    grads[threads - 1] = x.grad().to_vector();
  }
  CHECK(std::memcmp(grads[0].data(), grads[1].data(), grads[0].size() * sizeof(float)) == 0);
}

TEST_CASE("area_downsample averages blocks") {
  Rng rng(4);
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[size_t(i)] = float(i);
  Tensor a = Tensor::from_vector({1, 1, 4, 4}, v);
  test::check_close(area_downsample(a, 2), Tensor::from_vector({1, 1, 2, 2}, {2.5f, 4.5f, 10.5f, 12.5f}),
                    0, 0, "area 2x2 of arange");
  test::check_close(area_downsample(a, 1), a, 0, 0, "area factor 1");
  for (int f : {2, 3, 4, 8}) {
    Tensor x = test::random_tensor({2, 3, 3 * f, 2 * f}, rng);
    Tensor want = Tensor::empty({2, 3, 3, 2});
    ref::area_downsample(want, x, f);
    test::check_close(area_downsample(x, f), want, 1e-5, 1e-6, "area factor " + std::to_string(f));
  }
  CHECK_THROWS_WITH_AS(area_downsample(Tensor::zeros({1, 1, 6, 5}), 2),
                       "area_downsample: x [1,1,6,5] with factor 2: need x (N,C,H,W) with H and W "
                       "multiples of the factor",
                       Error);
  Tensor x = test::random_tensor({2, 2, 6, 4}, rng).set_requires_grad(true);
  test::check_gradients([](auto& in) { return area_downsample(in[0], 2); }, {x}, rng, {}, "area");
}
