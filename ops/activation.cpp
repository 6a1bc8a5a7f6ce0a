// Pointwise activations (relu, leaky_relu, gelu, sigmoid, tanh, clamp) and inverted dropout.
// Each activation is a forward map y = f(x) and a backward map dx += dout * f'(.), where f' is
// written in terms of x or of the saved output y, whichever is cheaper. Both maps run over
// fixed chunks with xsimd, a scalar loop taking the tail of each chunk.
#include <cmath>
#include <xsimd/xsimd.hpp>

#include "engine/error.h"
#include "engine/parallel.h"
#include "ops/ops.h"
#include "ops/reference.h"

namespace ulr {
namespace {

using fbatch = xsimd::batch<float>;
constexpr int64_t kActivationGrain = 1 << 14;  // elements per thread chunk
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

// out[i] = vector_fn / scalar_fn (x[i]), n elements.
template <class VectorFn, class ScalarFn>
void map_forward(float* out, const float* x, int64_t n, VectorFn vector_fn,
                 ScalarFn scalar_fn) {
  parallel_for(n, kActivationGrain, [&](int64_t begin, int64_t end) {
    int64_t i = begin;
    for (; i + int64_t(fbatch::size) <= end; i += fbatch::size)
      vector_fn(fbatch::load_unaligned(x + i)).store_unaligned(out + i);
    for (; i < end; ++i) out[i] = scalar_fn(x[i]);
  });
}

// dx[i] += dout[i] * derivative(saved[i]), where saved is x or y as the op chooses.
template <class VectorFn, class ScalarFn>
void map_backward(float* dx, const float* dout, const float* saved, int64_t n,
                  VectorFn vector_derivative, ScalarFn scalar_derivative) {
  parallel_for(n, kActivationGrain, [&](int64_t begin, int64_t end) {
    int64_t i = begin;
    for (; i + int64_t(fbatch::size) <= end; i += fbatch::size) {
      fbatch g = fbatch::load_unaligned(dout + i) * vector_derivative(fbatch::load_unaligned(saved + i));
      (fbatch::load_unaligned(dx + i) + g).store_unaligned(dx + i);
    }
    for (; i < end; ++i) dx[i] += dout[i] * scalar_derivative(saved[i]);
  });
}

// ---- forward and backward kernels ------------------------------------------------------------
// relu: f'(x) = 1 for x > 0, else 0 (PyTorch's choice at 0).
void relu_forward(float* y, const float* x, int64_t n) {
  map_forward(y, x, n, [](fbatch v) { return xsimd::max(v, fbatch(0.0f)); },
              [](float v) { return v > 0.0f ? v : 0.0f; });
}
void relu_backward(float* dx, const float* dout, const float* x, int64_t n) {
  map_backward(dx, dout, x, n,
               [](fbatch v) { return xsimd::select(v > fbatch(0.0f), fbatch(1.0f), fbatch(0.0f)); },
               [](float v) { return v > 0.0f ? 1.0f : 0.0f; });
}

void leaky_relu_forward(float* y, const float* x, int64_t n, float slope) {
  map_forward(y, x, n, [slope](fbatch v) { return xsimd::select(v > fbatch(0.0f), v, v * fbatch(slope)); },
              [slope](float v) { return v > 0.0f ? v : v * slope; });
}
void leaky_relu_backward(float* dx, const float* dout, const float* x, int64_t n, float slope) {
  map_backward(dx, dout, x, n,
               [slope](fbatch v) { return xsimd::select(v > fbatch(0.0f), fbatch(1.0f), fbatch(slope)); },
               [slope](float v) { return v > 0.0f ? 1.0f : slope; });
}

// gelu(x) = x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2; gelu'(x) = Phi(x) + x * phi(x).
void gelu_forward(float* y, const float* x, int64_t n) {
  map_forward(y, x, n,
              [](fbatch v) { return fbatch(0.5f) * v * (fbatch(1.0f) + xsimd::erf(v * fbatch(kInvSqrt2))); },
              [](float v) { return 0.5f * v * (1.0f + std::erf(v * kInvSqrt2)); });
}
void gelu_backward(float* dx, const float* dout, const float* x, int64_t n) {
  map_backward(dx, dout, x, n,
               [](fbatch v) {
                 fbatch cdf = fbatch(0.5f) * (fbatch(1.0f) + xsimd::erf(v * fbatch(kInvSqrt2)));
                 fbatch pdf = fbatch(kInvSqrt2Pi) * xsimd::exp(fbatch(-0.5f) * v * v);
                 return cdf + v * pdf;
               },
               [](float v) {
                 float cdf = 0.5f * (1.0f + std::erf(v * kInvSqrt2));
                 return cdf + v * kInvSqrt2Pi * std::exp(-0.5f * v * v);
               });
}

// sigmoid' = y (1 - y), from the saved output.
void sigmoid_forward(float* y, const float* x, int64_t n) {
  map_forward(y, x, n, [](fbatch v) { return fbatch(1.0f) / (fbatch(1.0f) + xsimd::exp(-v)); },
              [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
}
void sigmoid_backward(float* dx, const float* dout, const float* y, int64_t n) {
  map_backward(dx, dout, y, n, [](fbatch v) { return v * (fbatch(1.0f) - v); },
               [](float v) { return v * (1.0f - v); });
}

// tanh' = 1 - y^2, from the saved output.
void tanh_forward(float* y, const float* x, int64_t n) {
  map_forward(y, x, n, [](fbatch v) { return xsimd::tanh(v); }, [](float v) { return std::tanh(v); });
}
void tanh_backward(float* dx, const float* dout, const float* y, int64_t n) {
  map_backward(dx, dout, y, n, [](fbatch v) { return fbatch(1.0f) - v * v; },
               [](float v) { return 1.0f - v * v; });
}

// clamp' = 1 on the closed interval [lo, hi], 0 outside (as torch.clamp).
void clamp_forward(float* y, const float* x, int64_t n, float lo, float hi) {
  map_forward(y, x, n, [lo, hi](fbatch v) { return xsimd::min(xsimd::max(v, fbatch(lo)), fbatch(hi)); },
              [lo, hi](float v) { return std::min(std::max(v, lo), hi); });
}
void clamp_backward(float* dx, const float* dout, const float* x, int64_t n, float lo, float hi) {
  map_backward(dx, dout, x, n,
               [lo, hi](fbatch v) {
                 return xsimd::select((v >= fbatch(lo)) & (v <= fbatch(hi)), fbatch(1.0f), fbatch(0.0f));
               },
               [lo, hi](float v) { return v >= lo && v <= hi ? 1.0f : 0.0f; });
}

// Dropout mask (n): 0 or 1/(1-p) per element, drawn serially from rng so that it is the same
// for any thread count. An element is kept when uniform() < 1 - p.
void dropout_mask(float* mask, int64_t n, float p, Rng& rng) {
  const float keep = 1.0f - p, scale = p >= 1.0f ? 0.0f : 1.0f / keep;
  for (int64_t i = 0; i < n; ++i) mask[i] = rng.uniform() < keep ? scale : 0.0f;
}

}  // namespace

// ---- scalar reference ---------------------------------------------------------------------
namespace ref {
namespace {

// out[i] = fn(x[i]) in double.
template <class Fn>
void pointwise(const Tensor& out, const Tensor& x, const char* name, Fn fn) {
  expect_shape(name, "out", out, x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) out.data()[i] = float(fn(double(x.data()[i])));
}

}  // namespace

void relu(const Tensor& out, const Tensor& x) {
  pointwise(out, x, "ref::relu", [](double v) { return v > 0 ? v : 0.0; });
}
void leaky_relu(const Tensor& out, const Tensor& x, float negative_slope) {
  pointwise(out, x, "ref::leaky_relu",
            [negative_slope](double v) { return v > 0 ? v : v * double(negative_slope); });
}
void gelu(const Tensor& out, const Tensor& x) {
  pointwise(out, x, "ref::gelu", [](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); });
}
void sigmoid(const Tensor& out, const Tensor& x) {
  pointwise(out, x, "ref::sigmoid", [](double v) { return 1.0 / (1.0 + std::exp(-v)); });
}
void tanh(const Tensor& out, const Tensor& x) {
  pointwise(out, x, "ref::tanh", [](double v) { return std::tanh(v); });
}
void clamp(const Tensor& out, const Tensor& x, float lo, float hi) {
  pointwise(out, x, "ref::clamp",
            [lo, hi](double v) { return v < lo ? double(lo) : v > hi ? double(hi) : v; });
}
}  // namespace ref

// ---- autograd glue ------------------------------------------------------------------------

Tensor relu(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape());
  relu_forward(y.data(), x.data(), x.numel());
  if (should_record({x}))
    record(y, "relu", {x}, [x](const Tensor& y) {
      relu_backward(x.grad_data(), y.grad_data(), x.data(), x.numel());
    });
  return y;
}

Tensor leaky_relu(const Tensor& x, float negative_slope) {
  Tensor y = Tensor::empty(x.shape());
  leaky_relu_forward(y.data(), x.data(), x.numel(), negative_slope);
  if (should_record({x}))
    record(y, "leaky_relu", {x}, [x, negative_slope](const Tensor& y) {
      leaky_relu_backward(x.grad_data(), y.grad_data(), x.data(), x.numel(), negative_slope);
    });
  return y;
}

Tensor gelu(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape());
  gelu_forward(y.data(), x.data(), x.numel());
  if (should_record({x}))
    record(y, "gelu", {x}, [x](const Tensor& y) {
      gelu_backward(x.grad_data(), y.grad_data(), x.data(), x.numel());
    });
  return y;
}

// The closures of sigmoid and tanh read their own output's data: `y` is the tensor the closure
// is called with, so it holds no extra reference to itself.
Tensor sigmoid(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape());
  sigmoid_forward(y.data(), x.data(), x.numel());
  if (should_record({x}))
    record(y, "sigmoid", {x}, [x](const Tensor& y) {
      sigmoid_backward(x.grad_data(), y.grad_data(), y.data(), x.numel());
    });
  return y;
}

Tensor tanh(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape());
  tanh_forward(y.data(), x.data(), x.numel());
  if (should_record({x}))
    record(y, "tanh", {x}, [x](const Tensor& y) {
      tanh_backward(x.grad_data(), y.grad_data(), y.data(), x.numel());
    });
  return y;
}

Tensor clamp(const Tensor& x, float lo, float hi) {
  if (!(lo <= hi))
    throw Error("clamp: lo " + std::to_string(lo) + " is greater than hi " + std::to_string(hi));
  Tensor y = Tensor::empty(x.shape());
  clamp_forward(y.data(), x.data(), x.numel(), lo, hi);
  if (should_record({x}))
    record(y, "clamp", {x}, [x, lo, hi](const Tensor& y) {
      clamp_backward(x.grad_data(), y.grad_data(), x.data(), x.numel(), lo, hi);
    });
  return y;
}

Tensor dropout(const Tensor& x, float p, bool training, Rng& rng) {
  if (!(p >= 0.0f && p <= 1.0f))
    throw Error("dropout: probability " + std::to_string(p) + " is outside [0, 1]");
  if (!training || p == 0.0f) return scale(x, 1.0f);  // identity, as a new tensor
  Tensor mask = Tensor::empty(x.shape());
  dropout_mask(mask.data(), mask.numel(), p, rng);
  Tensor y = Tensor::empty(x.shape());
  const float *px = x.data(), *pm = mask.data();
  float* py = y.data();
  parallel_for(x.numel(), kActivationGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) py[i] = px[i] * pm[i];
  });
  if (should_record({x}))
    record(y, "dropout", {x}, [x, mask](const Tensor& y) {
      map_backward(x.grad_data(), y.grad_data(), mask.data(), x.numel(), [](fbatch m) { return m; },
                   [](float m) { return m; });
    });
  return y;
}

}  // namespace ulr
