// Pooling: fast kernels against the scalar reference, PyTorch's conventions on hand-made inputs,
// gradients against finite differences, thread-count independence and shape errors.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "engine/error.h"
#include "engine/parallel.h"
#include "gradcheck.h"
#include "ops/reference.h"

using namespace ulr;

namespace {

struct PoolCase {
  Shape shape;
  int kernel, stride, pad;
  std::string name() const {
    return shape.str() + " kernel " + std::to_string(kernel) + " stride " +
           std::to_string(stride) + " pad " + std::to_string(pad);
  }
};

const PoolCase kCases[] = {
    {{2, 3, 8, 8}, 2, 2, 0},   {{1, 2, 7, 9}, 3, 2, 1},  {{2, 2, 6, 5}, 3, 1, 1},
    {{1, 3, 9, 7}, 3, 3, 0},   {{2, 1, 5, 5}, 5, 1, 2},  {{1, 2, 10, 6}, 4, 2, 2},
    {{3, 20, 4, 4}, 2, 1, 1},  // more planes than one thread chunk
};

bool bit_identical(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), size_t(a.numel()) * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("pool output sizes follow floor((H + 2*pad - kernel) / stride) + 1") {
  Tensor x = Tensor::zeros({2, 3, 7, 10});
  CHECK(avg_pool2d(x, 3, 2, 1).shape() == Shape{2, 3, 4, 5});
  CHECK(max_pool2d(x, 2, 2, 0).shape() == Shape{2, 3, 3, 5});
  CHECK(max_pool2d(x, 3, 3, 1).shape() == Shape{2, 3, 3, 4});
  CHECK(global_avg_pool(x).shape() == Shape{2, 3});
}

// Average: rtol 1e-6, atol 1e-6 (float window sums against double). Max picks an element, so it
// must match exactly.
TEST_CASE("pool forward matches the scalar reference") {
  Rng rng(21);
  for (const PoolCase& c : kCases) {
    Tensor x = test::random_tensor(c.shape, rng);
    Tensor got = avg_pool2d(x, c.kernel, c.stride, c.pad), want = Tensor::empty(got.shape());
    ref::avg_pool2d_forward(want, x, c.kernel, c.stride, c.pad);
    test::check_close(got, want, 1e-6, 1e-6, "avg " + c.name());
    ref::max_pool2d_forward(want, x, c.kernel, c.stride, c.pad);
    test::check_close(max_pool2d(x, c.kernel, c.stride, c.pad), want, 0, 0, "max " + c.name());
    Tensor want_global = Tensor::empty({c.shape[0], c.shape[1]});
    ref::global_avg_pool_forward(want_global, x);
    test::check_close(global_avg_pool(x), want_global, 1e-6, 1e-6, "global " + c.shape.str());
  }
}

TEST_CASE("pool backward matches the scalar reference") {
  Rng rng(22);
  for (const PoolCase& c : kCases) {
    Tensor x = test::random_tensor(c.shape, rng).set_requires_grad(true);
    Tensor out = avg_pool2d(x, c.kernel, c.stride, c.pad);
    Tensor dout = test::random_tensor(out.shape(), rng);
    backward(out, dout);
    Tensor dx = Tensor::zeros(x.shape());
    ref::avg_pool2d_backward(dx, dout, c.kernel, c.stride, c.pad);
    test::check_close(x.grad(), dx, 1e-6, 1e-6, "avg " + c.name());
    x.zero_grad();
    backward(max_pool2d(x, c.kernel, c.stride, c.pad), dout);
    dx.fill(0.0f);
    ref::max_pool2d_backward(dx, dout, x, c.kernel, c.stride, c.pad);
    test::check_close(x.grad(), dx, 1e-6, 1e-6, "max " + c.name());
    x.zero_grad();
    Tensor gdout = test::random_tensor({c.shape[0], c.shape[1]}, rng);
    backward(global_avg_pool(x), gdout);
    dx.fill(0.0f);
    ref::global_avg_pool_backward(dx, gdout);
    test::check_close(x.grad(), dx, 1e-6, 1e-6, "global " + c.shape.str());
  }
}

TEST_CASE("avg_pool2d counts padding in the divisor; max_pool2d pads with -inf") {
  // 1x1x2x2 input, kernel 2, stride 1, pad 1: 3x3 windows each holding 1, 2 or 4 real pixels.
  Tensor x = Tensor::from_vector({1, 1, 2, 2}, {1, 2, 3, 4});
  std::vector<float> avg = avg_pool2d(x, 2, 1, 1).to_vector();
  std::vector<float> want_avg = {0.25f, 0.75f, 0.5f, 1.0f, 2.5f, 1.5f, 0.75f, 1.75f, 1.0f};
  test::check_close(avg, want_avg, 1e-6, 1e-7, "avg with padding");
  Tensor neg = Tensor::full({1, 1, 2, 2}, -5.0f);
  for (float v : max_pool2d(neg, 2, 1, 1).to_vector()) CHECK(v == -5.0f);
}

TEST_CASE("max_pool2d sends the gradient to the first maximum on ties") {
  Tensor x = Tensor::from_vector({1, 1, 3, 3}, {1, 7, 7, 7, 7, 0, 2, 7, 1}).set_requires_grad(true);
  Tensor out = max_pool2d(x, 2, 1, 0);  // windows share the 7s
  backward(out, Tensor::from_vector(out.shape(), {1, 10, 100, 1000}));
  // Windows (row-major first max): (0,0)->index 1, (0,1)->index 1, (1,0)->index 3, (1,1)->index 4.
  std::vector<float> want = {0, 11, 0, 100, 1000, 0, 0, 0, 0};
  test::check_close(x.grad().to_vector(), want, 0, 0, "tie gradient");
}

// Average pools are linear: default tolerances (h 1e-2, rtol 2e-2, atol 2e-3). Max pool is
// piecewise linear: the same tolerances with the kink rule, which skips a point whose +-h step
// changes which element is the maximum.
TEST_CASE("pool gradients match finite differences") {
  Rng rng(23);
  for (const PoolCase& c : {kCases[1], kCases[2], kCases[5]}) {
    Tensor x = test::random_tensor(c.shape, rng).set_requires_grad(true);
    const int k = c.kernel, s = c.stride, p = c.pad;
    test::check_gradients([k, s, p](auto& in) { return avg_pool2d(in[0], k, s, p); }, {x}, rng, {},
                          "avg " + c.name());
    test::GradCheckOptions kinks;
    kinks.kinks = true;
    test::check_gradients([k, s, p](auto& in) { return max_pool2d(in[0], k, s, p); }, {x}, rng,
                          kinks, "max " + c.name());
    test::check_gradients([](auto& in) { return global_avg_pool(in[0]); }, {x}, rng, {},
                          "global " + c.shape.str());
  }
}

TEST_CASE("pooling is bit-identical for 1 and 2 threads") {
  Rng rng(24);
  Tensor x = test::random_tensor({4, 24, 12, 12}, rng);
  Tensor dout = test::random_tensor({4, 24, 6, 6}, rng);
  Tensor results[2][4];
  for (int t = 0; t < 2; ++t) {
    ThreadScope threads(t + 1);
    Tensor xi = x.clone().set_requires_grad(true);
    results[t][0] = max_pool2d(xi, 3, 2, 1);
    results[t][1] = avg_pool2d(xi, 3, 2, 1);
    backward(results[t][0], dout);
    backward(results[t][1], dout);
    results[t][0] = results[t][0].detach(), results[t][1] = results[t][1].detach();
    results[t][2] = global_avg_pool(x);
    results[t][3] = xi.grad().clone();
  }
  for (int i = 0; i < 4; ++i) CHECK(bit_identical(results[0][i], results[1][i]));
}

TEST_CASE("pooling rejects bad arguments with a message naming them") {
  Tensor x = Tensor::zeros({1, 2, 4, 4});
  CHECK_THROWS_WITH_AS(max_pool2d(x, 3, 1, 2), "max_pool2d: input [1,2,4,4], kernel 3, stride 1, "
                       "pad 2: pad must be at most half the kernel", Error);
  CHECK_THROWS_WITH_AS(avg_pool2d(x, 7, 1, 1), "avg_pool2d: input [1,2,4,4], kernel 7, stride 1, "
                       "pad 1: kernel is larger than the padded input", Error);
  CHECK_THROWS_WITH_AS(avg_pool2d(x, 2, 0, 0), "avg_pool2d: input [1,2,4,4], kernel 2, stride 0, "
                       "pad 0: needs kernel >= 1, stride >= 1, pad >= 0", Error);
  CHECK_THROWS_WITH_AS(global_avg_pool(Tensor::zeros({2, 3})),
                       "global_avg_pool: input [2,3] must be (N,C,H,W)", Error);
}
