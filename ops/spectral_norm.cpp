// Spectral normalisation as torch.nn.utils.spectral_norm with one power iteration.
//
// W = weight viewed as (OUT, R), R = numel / OUT. Training: v = normalize(W^T u),
// u = normalize(W v) (normalize(x) = x / max(||x||, eps)), written back into the u and v
// buffers; eval: u and v as stored. sigma = u . (W v), out = weight / sigma.
// u and v are constants for the backward (torch computes them without grad), sigma is not:
//   dW = dout / sigma - (<dout, W> / sigma^2) u v^T.
// The backward keeps its own copies of u and v, so a later call that updates the buffers
// (a second forward before backward) does not change this one's gradient.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/parallel.h"
#include "ops/ops.h"
#include "ops/reference.h"

namespace ulr {

// ---- forward kernels ----------------------------------------------------------------------

namespace {

// y (OUT) = W (OUT,R) @ x (R), accumulated in double.
void matvec(float* y, const float* w, const float* x, int64_t OUT, int64_t R) {
  for (int64_t o = 0; o < OUT; ++o) {
    double s = 0;
    for (int64_t r = 0; r < R; ++r) s += double(w[o * R + r]) * x[r];
    y[o] = float(s);
  }
}

// y (R) = W (OUT,R)^T @ x (OUT), accumulated in double.
void matvec_transposed(float* y, const float* w, const float* x, int64_t OUT, int64_t R) {
  std::vector<double> s(size_t(R), 0.0);
  for (int64_t o = 0; o < OUT; ++o)
    for (int64_t r = 0; r < R; ++r) s[size_t(r)] += double(w[o * R + r]) * x[o];
  for (int64_t r = 0; r < R; ++r) y[r] = float(s[size_t(r)]);
}

// x /= max(||x||, eps) in place.
void normalize_in_place(float* x, int64_t n, float eps) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += double(x[i]) * x[i];
  const float norm = std::max(float(std::sqrt(s)), eps);
  for (int64_t i = 0; i < n; ++i) x[i] /= norm;
}

// One power iteration (training) on u (OUT), v (R), then sigma = u . (W v).
float spectral_norm_sigma(float* u, float* v, const float* w, int64_t OUT, int64_t R,
                          bool training, float eps) {
  if (training) {
    matvec_transposed(v, w, u, OUT, R);
    normalize_in_place(v, R, eps);
    matvec(u, w, v, OUT, R);
    normalize_in_place(u, OUT, eps);
  }
  std::vector<float> wv(static_cast<size_t>(OUT));
  matvec(wv.data(), w, v, OUT, R);
  double sigma = 0;
  for (int64_t o = 0; o < OUT; ++o) sigma += double(u[o]) * wv[size_t(o)];
  return float(sigma);
}

// out = w / sigma, elementwise.
void divide_forward(float* out, const float* w, float sigma, int64_t n) {
  parallel_for(n, 1 << 14, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = w[i] / sigma;
  });
}

// ---- backward kernel ----------------------------------------------------------------------

// dw (OUT,R) += dout / sigma - (<dout, w> / sigma^2) u v^T.
void spectral_norm_backward(float* dw, const float* dout, const float* w, const float* u,
                            const float* v, float sigma, int64_t OUT, int64_t R) {
  double inner = 0;
  for (int64_t i = 0; i < OUT * R; ++i) inner += double(dout[i]) * w[i];
  const float c = float(inner / (double(sigma) * sigma));
  for (int64_t o = 0; o < OUT; ++o)
    for (int64_t r = 0; r < R; ++r)
      dw[o * R + r] += dout[o * R + r] / sigma - c * u[o] * v[r];
}

void check_spectral_norm(const Tensor& weight, const Tensor& u, const Tensor& v) {
  bool ok = weight.defined() && u.defined() && v.defined() && weight.rank() >= 1 &&
            weight.size(0) > 0;
  const int64_t OUT = ok ? weight.size(0) : 0, R = ok ? weight.numel() / OUT : 0;
  ok = ok && u.numel() == OUT && v.numel() == R;
  if (!ok)
    throw Error("spectral_norm: weight " + (weight.defined() ? weight.shape().str() : "none") +
                ", u " + (u.defined() ? u.shape().str() : "none") + ", v " +
                (v.defined() ? v.shape().str() : "none") +
                ": need u with size(0) = OUT elements and v with numel/OUT elements");
}

}  // namespace

// ---- scalar reference ---------------------------------------------------------------------
namespace ref {

void spectral_norm(const Tensor& out, const Tensor& weight, const Tensor& u, const Tensor& v,
                   bool training, float eps) {
  expect_shape("ref::spectral_norm", "out", out, weight.shape());
  const int64_t OUT = weight.size(0), R = weight.numel() / OUT;
  const float* w = weight.data();
  std::vector<double> ud(u.data(), u.data() + OUT), vd(v.data(), v.data() + R);
  auto normalized = [eps](std::vector<double> x) {
    double n = 0;
    for (double e : x) n += e * e;
    n = std::max(std::sqrt(n), double(eps));
    for (double& e : x) e /= n;
    return x;
  };
  if (training) {
    for (int64_t r = 0; r < R; ++r) {
      vd[size_t(r)] = 0;
      for (int64_t o = 0; o < OUT; ++o) vd[size_t(r)] += w[o * R + r] * ud[size_t(o)];
    }
    vd = normalized(vd);
    for (int64_t o = 0; o < OUT; ++o) {
      ud[size_t(o)] = 0;
      for (int64_t r = 0; r < R; ++r) ud[size_t(o)] += w[o * R + r] * vd[size_t(r)];
    }
    ud = normalized(ud);
    for (int64_t o = 0; o < OUT; ++o) u.data()[o] = float(ud[size_t(o)]);
    for (int64_t r = 0; r < R; ++r) v.data()[r] = float(vd[size_t(r)]);
  }
  double sigma = 0;
  for (int64_t o = 0; o < OUT; ++o)
    for (int64_t r = 0; r < R; ++r) sigma += ud[size_t(o)] * w[o * R + r] * vd[size_t(r)];
  for (int64_t i = 0; i < weight.numel(); ++i) out.data()[i] = float(w[i] / sigma);
}

}  // namespace ref

// ---- autograd glue ------------------------------------------------------------------------

Tensor spectral_norm(const Tensor& weight, const Tensor& u, const Tensor& v, bool training,
                     float eps) {
  check_spectral_norm(weight, u, v);
  const int64_t OUT = weight.size(0), R = weight.numel() / OUT;
  const float sigma = spectral_norm_sigma(u.data(), v.data(), weight.data(), OUT, R, training, eps);
  Tensor out = Tensor::empty(weight.shape());
  divide_forward(out.data(), weight.data(), sigma, weight.numel());
  if (should_record({weight})) {
    Tensor u_used = u.clone(), v_used = v.clone();
    record(out, "spectral_norm", {weight},
           [weight, u_used, v_used, sigma, OUT, R](const Tensor& out) {
      spectral_norm_backward(weight.grad_data(), out.grad_data(), weight.data(), u_used.data(),
                             v_used.data(), sigma, OUT, R);
    });
  }
  return out;
}

}  // namespace ulr
