// conv2d: fast kernels against the scalar reference, gradients against finite differences,
// results independent of the thread count, and shape errors a user can act on.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "engine/error.h"
#include "engine/parallel.h"
#include "gradcheck.h"
#include "ops/reference.h"

using namespace ulr;

namespace {

struct ConvCase {
  int64_t N, C, H, W, OC, KH, KW;
  Conv2dOptions opt;
  bool bias;
  std::string name() const {
    return "x[" + std::to_string(N) + "," + std::to_string(C) + "," + std::to_string(H) + "," +
           std::to_string(W) + "] w[" + std::to_string(OC) + "," + std::to_string(C / opt.groups) +
           "," + std::to_string(KH) + "," + std::to_string(KW) + "] stride " +
           std::to_string(opt.stride) + " pad " + std::to_string(opt.pad) + " dilation " +
           std::to_string(opt.dilation) + " groups " + std::to_string(opt.groups) +
           (bias ? " bias" : "");
  }
};

// Covers every kernel path: general GEMM, pointwise (1x1) GEMM, depthwise (with and without a
// channel multiplier), direct (3x3 at stride 1 and 2: one block of outputs read from the window,
// several through packed strips; the weight gradient direct with few outputs on wide maps, else
// GEMM; the stride-2 input gradient GEMM), several forward tiles and backward chunks, odd and
// non-square sizes.
const ConvCase kCases[] = {
    {2, 3, 7, 9, 4, 3, 3, {1, 1, 1, 1}, true},     // plain 3x3
    {1, 4, 8, 8, 6, 3, 3, {2, 1, 1, 1}, true},     // stride 2, batch 1
    {3, 4, 9, 6, 4, 3, 2, {1, 2, 2, 2}, false},    // dilation 2, groups 2, non-square kernel
    {2, 6, 10, 7, 6, 3, 3, {2, 0, 1, 3}, true},    // stride 2, pad 0, groups 3
    {2, 5, 6, 6, 7, 1, 1, {1, 0, 1, 1}, true},     // 1x1 as GEMM
    {2, 4, 6, 5, 8, 1, 1, {1, 0, 1, 2}, false},    // 1x1 grouped
    {1, 4, 7, 7, 4, 1, 1, {2, 0, 1, 1}, true},     // 1x1 strided (im2col path)
    {2, 8, 9, 11, 8, 3, 3, {1, 1, 1, 8}, true},    // depthwise
    {1, 4, 12, 10, 8, 3, 3, {2, 2, 2, 4}, true},   // depthwise x2 multiplier, stride 2, dilation 2
    {2, 3, 19, 21, 6, 5, 5, {1, 2, 1, 3}, true},   // depthwise 5x5 (SIMD rows + tails)
    {2, 4, 9, 8, 4, 3, 3, {1, 3, 2, 4}, false},    // depthwise, pad 3 with dilation 2
    {1, 2, 5, 6, 2, 3, 3, {1, 3, 1, 2}, true},     // depthwise, pad wider than the kernel reach
    {2, 4, 5, 7, 4, 1, 1, {1, 0, 1, 4}, true},     // depthwise 1x1
    {3, 2, 5, 5, 3, 5, 5, {1, 0, 1, 1}, false},    // kernel = input
    {1, 3, 40, 37, 4, 3, 3, {1, 1, 1, 1}, true},   // several forward tiles (OH*OW > 1024)
    {9, 4, 11, 10, 5, 3, 3, {1, 1, 1, 1}, true},   // several backward chunks
    {2, 5, 9, 37, 3, 3, 3, {1, 1, 1, 1}, true},    // direct: 3 outputs, a scalar column tail
    {1, 3, 6, 40, 9, 3, 3, {1, 0, 1, 1}, false},   // direct: blocks of 4 and 5, packed; pad 0
    {3, 6, 5, 33, 6, 3, 3, {1, 2, 1, 1}, true},    // direct: pad 2, one block of 6
    {1, 2, 20, 48, 16, 3, 3, {1, 1, 1, 1}, true},  // direct: batch 1, several row tiles
    {2, 5, 7, 8, 13, 3, 3, {1, 1, 1, 1}, true},    // direct, packed strips (blocks 4, 4, 5):
                                                   // 8 wide (pairs span rows), odd vector count
    {1, 4, 6, 20, 8, 3, 3, {1, 0, 1, 1}, false},   // direct, packed: pad 0, 18 wide (tail of 2)
    {2, 7, 9, 16, 20, 3, 3, {1, 2, 1, 1}, true},   // direct, packed: pad 2, 18 wide
    {2, 5, 33, 34, 10, 3, 3, {2, 1, 1, 1}, true},  // direct stride 2, packed: 17x17 out
    {1, 3, 20, 35, 4, 3, 3, {2, 0, 1, 1}, false},  // direct stride 2, one block: pad 0
    {2, 4, 16, 33, 8, 3, 3, {2, 2, 1, 1}, true},   // direct stride 2: pad 2, odd width
    {2, 30, 6, 8, 9, 3, 3, {1, 1, 1, 1}, true},    // direct, packed: strips of 24 + 6 channels
};

Tensor make_input(const ConvCase& c, Rng& rng) { return test::random_tensor({c.N, c.C, c.H, c.W}, rng); }
Tensor make_weight(const ConvCase& c, Rng& rng) {
  return test::random_tensor({c.OC, c.C / c.opt.groups, c.KH, c.KW}, rng);
}
Tensor make_bias(const ConvCase& c, Rng& rng) {
  return c.bias ? test::random_tensor({c.OC}, rng) : Tensor();
}

bool bit_identical(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), size_t(a.numel()) * sizeof(float)) == 0;
}

}  // namespace

// Float kernels against double references: rtol 1e-4, atol 1e-5 (inner sums of at most a few
// hundred products of values in [-1, 1]).
TEST_CASE("conv2d forward matches the scalar reference") {
  Rng rng(11);
  for (const ConvCase& c : kCases) {
    Tensor x = make_input(c, rng), w = make_weight(c, rng), b = make_bias(c, rng);
    Tensor got = conv2d(x, w, b, c.opt), want = Tensor::empty(got.shape());
    ref::conv2d_forward(want, x, w, b, c.opt);
    test::check_close(got, want, 1e-4, 1e-5, "forward " + c.name());
  }
}

TEST_CASE("conv2d backward matches the scalar reference and accumulates") {
  Rng rng(12);
  for (const ConvCase& c : kCases) {
    Tensor x = make_input(c, rng).set_requires_grad(true);
    Tensor w = make_weight(c, rng).set_requires_grad(true);
    Tensor b = make_bias(c, rng);
    if (c.bias) b.set_requires_grad(true);
    Tensor out = conv2d(x, w, b, c.opt);
    Tensor dout = test::random_tensor(out.shape(), rng);
    backward(out, dout);
    Tensor dx = Tensor::zeros(x.shape()), dw = Tensor::zeros(w.shape());
    Tensor db = c.bias ? Tensor::zeros(b.shape()) : Tensor();
    ref::conv2d_backward(dx, dw, db, dout, x, w, c.opt);
    test::check_close(x.grad(), dx, 1e-4, 1e-5, "dx " + c.name());
    test::check_close(w.grad(), dw, 1e-4, 1e-5, "dweight " + c.name());
    if (c.bias) test::check_close(b.grad(), db, 1e-4, 1e-5, "dbias " + c.name());
    // A second backward adds the same gradient again, as the reference does.
    backward(conv2d(x, w, b, c.opt), dout);
    ref::conv2d_backward(dx, dw, Tensor(), dout, x, w, c.opt);
    test::check_close(x.grad(), dx, 1e-4, 1e-5, "dx twice " + c.name());
    test::check_close(w.grad(), dw, 1e-4, 1e-5, "dweight twice " + c.name());
  }
}

TEST_CASE("conv2d backward without some gradients") {
  Rng rng(13);
  const ConvCase c = kCases[0];
  Tensor x = make_input(c, rng), w = make_weight(c, rng).set_requires_grad(true);
  Tensor out = conv2d(x, w, Tensor(), c.opt);
  Tensor dout = test::random_tensor(out.shape(), rng);
  backward(out, dout);
  CHECK_FALSE(x.has_grad());
  Tensor dw = Tensor::zeros(w.shape());
  ref::conv2d_backward(Tensor(), dw, Tensor(), dout, x, w, c.opt);
  test::check_close(w.grad(), dw, 1e-4, 1e-5, "dweight only");
}

TEST_CASE("the conv2d references check the shapes of their outputs") {
  const ConvCase c = kCases[0];  // out (2,4,7,9)
  Tensor x = Tensor::zeros({c.N, c.C, c.H, c.W}), w = Tensor::zeros({c.OC, c.C, c.KH, c.KW});
  CHECK(test::error_of([&] { ref::conv2d_forward(Tensor::empty({2, 4, 7, 8}), x, w, Tensor(), c.opt); }) ==
        "ref::conv2d_forward: out has shape [2,4,7,8], expected [2,4,7,9]");
  CHECK(test::error_of([&] { ref::conv2d_forward(Tensor(), x, w, Tensor(), c.opt); }) ==
        "ref::conv2d_forward: out is undefined, expected shape [2,4,7,9]");
  Tensor dout = Tensor::zeros({2, 4, 7, 9});
  Tensor dweight = Tensor::zeros({4});
  CHECK(test::error_of([&] { ref::conv2d_backward(Tensor(), dweight, Tensor(), dout, x, w, c.opt); }) ==
        "ref::conv2d_backward: dweight has shape [4], expected [4,3,3,3]");
}

// conv2d is linear in each input, so central differences are exact up to float rounding of the
// loss: the default tolerances (h 1e-2, rtol 2e-2, atol 2e-3) hold with a wide margin.
TEST_CASE("conv2d gradients match finite differences") {
  // Thousands of tiny convolutions: one thread keeps this quick on a busy machine (the threaded
  // paths are checked against the reference above).
  ThreadScope one_thread(1);
  Rng rng(14);
  const int picks[] = {0, 2, 3, 5, 6, 8, 9};
  for (int i : picks) {
    ConvCase c = kCases[i];
    c.N = std::min<int64_t>(c.N, 2);
    std::vector<Tensor> in = {make_input(c, rng).set_requires_grad(true),
                              make_weight(c, rng).set_requires_grad(true)};
    if (c.bias) in.push_back(make_bias(c, rng).set_requires_grad(true));
    Conv2dOptions opt = c.opt;
    test::check_gradients(
        [opt](const std::vector<Tensor>& t) {
          return conv2d(t[0], t[1], t.size() > 2 ? t[2] : Tensor(), opt);
        },
        in, rng, {}, "conv2d " + c.name());
  }
}

TEST_CASE("conv2d is bit-identical for 1, 2 and 3 threads") {
  const ConvCase cases[] = {
      {12, 16, 12, 12, 16, 3, 3, {1, 1, 1, 1}, true},   // several backward chunks
      {1, 8, 48, 40, 8, 3, 3, {1, 1, 1, 1}, true},      // batch 1, several forward tiles
      {1, 48, 16, 16, 48, 3, 3, {1, 1, 1, 1}, true},    // batch 1, one tile split for threads
      {1, 96, 8, 8, 32, 1, 1, {1, 0, 1, 1}, true},      // batch 1, 1x1, split for threads
      {1, 16, 64, 64, 32, 3, 3, {2, 1, 1, 1}, false},   // batch 1, strided
      {8, 12, 16, 16, 24, 1, 1, {1, 0, 1, 1}, true},    // 1x1
      {6, 12, 10, 10, 12, 3, 3, {2, 1, 1, 12}, true},   // depthwise
      {5, 8, 9, 9, 8, 3, 3, {1, 2, 2, 2}, false},       // grouped, dilated
      {4, 16, 12, 64, 3, 3, 3, {1, 1, 1, 1}, true},     // direct, 3 outputs
      {1, 3, 64, 64, 16, 3, 3, {1, 1, 1, 1}, true},     // direct, batch 1, row tiles
      {10, 24, 8, 8, 40, 3, 3, {1, 1, 1, 1}, true},     // direct packed, GEMM weight gradient
  };
  for (const ConvCase& c : cases) {
    Rng rng(15);
    Tensor x = make_input(c, rng), w = make_weight(c, rng), b = make_bias(c, rng);
    Tensor dout;
    Tensor out[3], dx[3], dw[3], db[3];
    for (int t = 0; t < 3; ++t) {
      ThreadScope threads(t + 1);
      Tensor xi = x.clone().set_requires_grad(true), wi = w.clone().set_requires_grad(true);
      Tensor bi = c.bias ? b.clone().set_requires_grad(true) : Tensor();
      out[t] = conv2d(xi, wi, bi, c.opt);
      if (!dout.defined()) dout = test::random_tensor(out[t].shape(), rng);
      backward(out[t], dout);
      dx[t] = xi.grad().clone(), dw[t] = wi.grad().clone();
      if (c.bias) db[t] = bi.grad().clone();
      out[t] = out[t].detach();
    }
    INFO(c.name());
    for (int t = 1; t < 3; ++t) {
      INFO("threads: " << t + 1);
      CHECK(bit_identical(out[0], out[t]));
      CHECK(bit_identical(dx[0], dx[t]));
      CHECK(bit_identical(dw[0], dw[t]));
      if (c.bias) CHECK(bit_identical(db[0], db[t]));
    }
  }
}

namespace {
// The message names conv2d and every shape involved, and says what is wrong.
void check_conv2d_error(const Tensor& x, const Tensor& w, const Tensor& b, Conv2dOptions opt,
                        const std::string& why) {
  std::string message;
  try {
    conv2d(x, w, b, opt);
  } catch (const Error& e) {
    message = e.what();
  }
  INFO("message: " << message);
  CHECK(message.rfind("conv2d: input " + x.shape().str() + ", weight " + w.shape().str(), 0) == 0);
  CHECK(message.find(why) != std::string::npos);
}
}  // namespace

TEST_CASE("conv2d rejects bad shapes with a message naming them") {
  Tensor x = Tensor::zeros({2, 4, 8, 8});
  check_conv2d_error(x, Tensor::zeros({6, 3, 3, 3}), Tensor(), {},
                     "weight expects 3 channels per group, input has 4 channels in 1 groups");
  check_conv2d_error(x, Tensor::zeros({6, 2, 3, 3}), Tensor(), {1, 1, 1, 3},
                     "groups 3 does not divide input channels 4 and output channels 6");
  check_conv2d_error(x, Tensor::zeros({6, 4, 11, 3}), Tensor(), {1, 1, 1, 1},
                     "kernel extent 11 exceeds the padded input 10");
  check_conv2d_error(x, Tensor::zeros({6, 4, 3, 3}), Tensor(), {1, 0, 5, 1},
                     "kernel extent 11 exceeds the padded input 8");
  check_conv2d_error(x, Tensor::zeros({6, 4, 3, 3}), Tensor::zeros({5}), {}, "bias must be (6)");
  check_conv2d_error(Tensor::zeros({4, 8, 8}), Tensor::zeros({6, 4, 3, 3}), Tensor(), {},
                     "input must be (N,C,H,W)");
  check_conv2d_error(x, Tensor::zeros({6, 4, 3, 3}), Tensor(), {0, 1, 1, 1}, "stride >= 1");
}
