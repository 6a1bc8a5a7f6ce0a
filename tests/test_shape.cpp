// Shape ops (reshape, permute, concat, slice) and pixel_shuffle / pixel_unshuffle.
// Forward results are copies, so they must equal the references exactly; gradients are checked
// against central differences (the ops are linear, so only float rounding separates them).
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

#include "engine/error.h"
#include "gradcheck.h"
#include "ops/reference.h"

using namespace ulr;

static Tensor arange(const Shape& s) {
  std::vector<float> v(size_t(s.numel()));
  std::iota(v.begin(), v.end(), 0.0f);
  return Tensor::from_vector(s, v);
}

TEST_CASE("reshape infers -1, shares storage and records its own node") {
  Tensor x = arange({2, 3, 4}).set_requires_grad(true);
  Tensor y = reshape(x, {4, -1});
  CHECK(y.shape() == Shape{4, 6});
  CHECK(y.data() == x.data());
  REQUIRE(y.node() != nullptr);
  CHECK(std::string(y.node()->op) == "reshape");
  CHECK(reshape(x, {-1}).shape() == Shape{24});
  CHECK(reshape(x, {2, 1, 12}).shape() == Shape{2, 1, 12});
  CHECK_THROWS_WITH_AS(reshape(x, {5, -1}), "reshape: cannot infer the -1 in [5,-1] for [2,3,4]", Error);
  CHECK_THROWS_AS(reshape(x, {-1, -1}), Error);
  CHECK_THROWS_WITH_AS(reshape(x, {5, 5}), "reshape: [2,3,4] has 24 elements, [5,5] has 25", Error);
  Rng rng(1);
  Tensor a = test::random_tensor({3, 4}, rng).set_requires_grad(true);
  // mul after reshape makes the reshape's gradient flow through a non-trivial path.
  test::check_gradients([](auto& in) { return mul(reshape(in[0], {2, 6}), reshape(in[0], {2, 6})); },
                        {a}, rng, {}, "reshape");
}

TEST_CASE("permute matches reference for every rank") {
  Rng rng(2);
  std::vector<std::pair<Shape, std::vector<int>>> cases = {
      {{5}, {0}},
      {{3, 4}, {1, 0}},
      {{2, 3, 4}, {2, 0, 1}},
      {{2, 3, 4, 5}, {0, 2, 1, 3}},
      {{2, 3, 4, 5}, {3, 1, 0, 2}},
      {{2, 3, 1, 4, 3}, {4, 2, 0, 3, 1}},
      {{2, 3, 4, 5}, {-1, 0, -2, 1}},
      {{64, 33, 17}, {2, 1, 0}},  // several thread chunks
  };
  for (auto& [shape, dims] : cases) {
    Tensor x = test::random_tensor(shape, rng);
    Tensor got = permute(x, dims), want = Tensor::empty(got.shape());
    ref::permute(want, x, dims);
    test::check_close(got, want, 0, 0, "permute " + shape.str());
  }
  Tensor x = test::random_tensor({2, 3, 4}, rng);
  CHECK_THROWS_WITH_AS(permute(x, {0, 0, 1}),
                       "permute: dims (0,0,1) are not a permutation of the dims of [2,3,4]", Error);
  CHECK_THROWS_AS(permute(x, {0, 1}), Error);
  CHECK_THROWS_AS(permute(x, {0, 1, 3}), Error);
  // Known value: transpose of a 2x3 arange.
  test::check_close(permute(arange({2, 3}), {1, 0}), Tensor::from_vector({3, 2}, {0, 3, 1, 4, 2, 5}),
                    0, 0, "transpose");
}

TEST_CASE("permute gradients") {
  Rng rng(3);
  Tensor a = test::random_tensor({2, 3, 2, 4}, rng).set_requires_grad(true);
  test::check_gradients([](auto& in) { return permute(in[0], {3, 1, 0, 2}); }, {a}, rng, {}, "permute");
  Tensor b = test::random_tensor({2, 1, 3, 2, 2}, rng).set_requires_grad(true);
  test::check_gradients([](auto& in) { return permute(in[0], {4, 2, 3, 0, 1}); }, {b}, rng, {}, "permute5");
}

TEST_CASE("concat matches reference along every dim") {
  Rng rng(4);
  for (int dim = -3; dim < 3; ++dim) {
    int d = dim < 0 ? dim + 3 : dim;
    Shape s1{2, 3, 4}, s2{2, 3, 4}, s3{2, 3, 4};
    s2.dims[d] = 1, s3.dims[d] = 5;
    std::vector<Tensor> xs = {test::random_tensor(s1, rng), test::random_tensor(s2, rng),
                              test::random_tensor(s3, rng)};
    Tensor got = concat(xs, dim), want = Tensor::empty(got.shape());
    ref::concat(want, xs, dim);
    test::check_close(got, want, 0, 0, "concat dim " + std::to_string(dim));
  }
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({3, 3});
  CHECK_THROWS_WITH_AS(concat({a, b}, 1), "concat: shapes [2,3] and [3,3] differ outside dim 1", Error);
  CHECK_THROWS_AS(concat({a, b}, 2), Error);
  CHECK_THROWS_AS(concat({}, 0), Error);
  test::check_close(concat({arange({2, 1}), arange({2, 2})}, 1),
                    Tensor::from_vector({2, 3}, {0, 0, 1, 1, 2, 3}), 0, 0, "concat known");
}

TEST_CASE("concat gradients, with an input that needs none") {
  Rng rng(5);
  Tensor a = test::random_tensor({2, 3, 2}, rng).set_requires_grad(true);
  Tensor b = test::random_tensor({2, 1, 2}, rng);  // constant
  Tensor c = test::random_tensor({2, 2, 2}, rng).set_requires_grad(true);
  test::check_gradients([](auto& in) { return concat({in[0], in[1], in[2]}, -2); }, {a, b, c}, rng,
                        {}, "concat");
  CHECK_FALSE(b.has_grad());
}

TEST_CASE("slice matches reference, with negative dims and indices") {
  Rng rng(6);
  Tensor x = test::random_tensor({3, 5, 4}, rng);
  struct Case {
    int dim;
    int64_t start, end;
  };
  for (Case c : std::vector<Case>{{0, 1, 3}, {1, 0, 5}, {2, 1, 2}, {-1, 2, 4}, {-2, -3, -1}, {1, 2, 2}}) {
    Tensor got = slice(x, c.dim, c.start, c.end), want = Tensor::empty(got.shape());
    ref::slice(want, x, c.dim, c.start, c.end);
    test::check_close(got, want, 0, 0, "slice dim " + std::to_string(c.dim));
  }
  CHECK(slice(x, 1, 2, 2).shape() == Shape{3, 0, 4});
  CHECK_THROWS_WITH_AS(slice(x, 1, 2, 6), "slice: [2, 6) along dim 1 is out of range for shape [3,5,4]", Error);
  CHECK_THROWS_AS(slice(x, 3, 0, 1), Error);
  CHECK_THROWS_AS(slice(x, 0, 2, 1), Error);
  test::check_close(slice(arange({2, 4}), 1, 1, 3), Tensor::from_vector({2, 2}, {1, 2, 5, 6}), 0, 0,
                    "slice known");
}

TEST_CASE("slice gradients accumulate over overlapping slices") {
  Rng rng(7);
  Tensor a = test::random_tensor({2, 5, 3}, rng).set_requires_grad(true);
  test::check_gradients(
      [](auto& in) { return add(slice(in[0], 1, 0, 3), mul(slice(in[0], -2, 2, 5), slice(in[0], 1, 1, 4))); },
      {a}, rng, {}, "slice");
}

TEST_CASE("pixel_shuffle and pixel_unshuffle match torch on an arange") {
  // torch.nn.functional.pixel_shuffle(torch.arange(32.).reshape(1,8,2,2), 2)
  Tensor shuffled = pixel_shuffle(arange({1, 8, 2, 2}), 2);
  test::check_close(shuffled,
                    Tensor::from_vector({1, 2, 4, 4}, {0,  4,  1,  5,  8,  12, 9,  13, 2,  6,  3,
                                                       7,  10, 14, 11, 15, 16, 20, 17, 21, 24, 28,
                                                       25, 29, 18, 22, 19, 23, 26, 30, 27, 31}),
                    0, 0, "pixel_shuffle");
  // torch.nn.functional.pixel_unshuffle(torch.arange(32.).reshape(1,2,4,4), 2)
  Tensor unshuffled = pixel_unshuffle(arange({1, 2, 4, 4}), 2);
  test::check_close(unshuffled,
                    Tensor::from_vector({1, 8, 2, 2}, {0,  2,  8,  10, 1,  3,  9,  11, 4,  6,  12,
                                                       14, 5,  7,  13, 15, 16, 18, 24, 26, 17, 19,
                                                       25, 27, 20, 22, 28, 30, 21, 23, 29, 31}),
                    0, 0, "pixel_unshuffle");
}

TEST_CASE("pixel_shuffle matches reference, round-trips, and checks shapes") {
  Rng rng(8);
  for (int r : {1, 2, 3, 4}) {
    Tensor x = test::random_tensor({2, 2 * r * r, 3, 5}, rng);
    Tensor s = pixel_shuffle(x, r);
    Tensor want_s = Tensor::empty(s.shape());
    ref::pixel_shuffle(want_s, x, r);
    test::check_close(s, want_s, 0, 0, "pixel_shuffle r=" + std::to_string(r));
    Tensor u = pixel_unshuffle(s, r), want_u = Tensor::empty(x.shape());
    ref::pixel_unshuffle(want_u, s, r);
    test::check_close(u, want_u, 0, 0, "pixel_unshuffle r=" + std::to_string(r));
    test::check_close(u, x, 0, 0, "round trip r=" + std::to_string(r));
  }
  CHECK_THROWS_WITH_AS(pixel_shuffle(Tensor::zeros({1, 6, 2, 2}), 2),
                       "pixel_shuffle: channels of [1,6,2,2] not divisible by r*r = 4", Error);
  CHECK_THROWS_WITH_AS(pixel_unshuffle(Tensor::zeros({1, 1, 4, 6}), 4),
                       "pixel_unshuffle: H and W of [1,1,4,6] not divisible by r = 4", Error);
  CHECK_THROWS_AS(pixel_shuffle(Tensor::zeros({4, 2, 2}), 2), Error);
}

TEST_CASE("pixel_shuffle and pixel_unshuffle gradients") {
  Rng rng(9);
  Tensor a = test::random_tensor({1, 8, 2, 3}, rng).set_requires_grad(true);
  test::check_gradients([](auto& in) { return pixel_shuffle(in[0], 2); }, {a}, rng, {}, "pixel_shuffle");
  Tensor b = test::random_tensor({2, 1, 6, 3}, rng).set_requires_grad(true);
  test::check_gradients([](auto& in) { return pixel_unshuffle(in[0], 3); }, {b}, rng, {}, "pixel_unshuffle");
}
