// softmax and log_softmax along any dim. The tensor is viewed as (outer, D, inner) with the
// reduction over D. Two vectorised layouts:
//   inner == 1 (dim = last): each row of D contiguous values is reduced with xsimd;
//   inner > 1 (e.g. the channel dim of NCHW): a block of inner positions is held in SIMD lanes
//     and the D values of each lane, inner apart, are reduced lane-wise.
// Stable form: y = exp(x - max) / sum exp(x - max); log y = x - max - log(sum exp(x - max)).
#include <cmath>
#include <limits>
#include <xsimd/xsimd.hpp>

#include "engine/error.h"
#include "engine/parallel.h"
#include "ops/dim_view.h"
#include "ops/ops.h"
#include "ops/row_kernels.h"
#include "ops/reference.h"

namespace ulr {
namespace {

using fbatch = xsimd::batch<float>;
constexpr int64_t kSoftmaxGrain = 1 << 14;  // elements per thread chunk (rounded to whole rows)
constexpr int64_t kLaneBlock = 256;         // inner positions per work item in the strided layout
constexpr int64_t kB = int64_t(fbatch::size);

float horizontal_max(fbatch v) {
  alignas(64) float lanes[fbatch::size];
  v.store_aligned(lanes);
  float m = lanes[0];
  for (size_t i = 1; i < fbatch::size; ++i) m = std::max(m, lanes[i]);
  return m;
}

}  // namespace

// ---- forward kernels ----------------------------------------------------------------------

// One contiguous row: y (D) from x (D); y may be x.
void softmax_row(float* y, const float* x, int64_t d, bool log) {
  fbatch vmax(-std::numeric_limits<float>::infinity());
  int64_t i = 0;
  for (; i + kB <= d; i += kB) vmax = xsimd::max(vmax, fbatch::load_unaligned(x + i));
  float m = horizontal_max(vmax);
  for (; i < d; ++i) m = std::max(m, x[i]);
  fbatch vsum(0.0f), vm(m);
  for (i = 0; i + kB <= d; i += kB) {
    fbatch e = xsimd::exp(fbatch::load_unaligned(x + i) - vm);
    vsum += e;
    if (!log) e.store_unaligned(y + i);
  }
  float s = xsimd::hadd(vsum);
  for (; i < d; ++i) {
    float e = std::exp(x[i] - m);
    s += e;
    if (!log) y[i] = e;
  }
  if (log) {
    fbatch shift(m + std::log(s));
    for (i = 0; i + kB <= d; i += kB) (fbatch::load_unaligned(x + i) - shift).store_unaligned(y + i);
    for (; i < d; ++i) y[i] = x[i] - (m + std::log(s));
  } else {
    fbatch vinv(1.0f / s);
    for (i = 0; i + kB <= d; i += kB) (fbatch::load_unaligned(y + i) * vinv).store_unaligned(y + i);
    for (; i < d; ++i) y[i] *= 1.0f / s;
  }
}

namespace {

// Lanes [0, lanes) of one outer slice in the strided layout: element (k, j) at k*inner + j.
// Computes lane-wise max and sum over k; the SIMD part and the scalar tail run the same steps.
void softmax_lanes(float* y, const float* x, int64_t d, int64_t inner, int64_t lanes, bool log) {
  int64_t j = 0;
  for (; j + kB <= lanes; j += kB) {
    fbatch m = fbatch::load_unaligned(x + j);
    for (int64_t k = 1; k < d; ++k) m = xsimd::max(m, fbatch::load_unaligned(x + k * inner + j));
    fbatch s(0.0f);
    for (int64_t k = 0; k < d; ++k) {
      fbatch e = xsimd::exp(fbatch::load_unaligned(x + k * inner + j) - m);
      s += e;
      if (!log) e.store_unaligned(y + k * inner + j);
    }
    if (log) {
      fbatch shift = m + xsimd::log(s);
      for (int64_t k = 0; k < d; ++k)
        (fbatch::load_unaligned(x + k * inner + j) - shift).store_unaligned(y + k * inner + j);
    } else {
      fbatch inv = fbatch(1.0f) / s;
      for (int64_t k = 0; k < d; ++k)
        (fbatch::load_unaligned(y + k * inner + j) * inv).store_unaligned(y + k * inner + j);
    }
  }
  for (; j < lanes; ++j) {
    float m = x[j];
    for (int64_t k = 1; k < d; ++k) m = std::max(m, x[k * inner + j]);
    float s = 0.0f;
    for (int64_t k = 0; k < d; ++k) {
      float e = std::exp(x[k * inner + j] - m);
      s += e;
      if (!log) y[k * inner + j] = e;
    }
    if (log) {
      float shift = m + std::log(s);
      for (int64_t k = 0; k < d; ++k) y[k * inner + j] = x[k * inner + j] - shift;
    } else {
      float inv = 1.0f / s;
      for (int64_t k = 0; k < d; ++k) y[k * inner + j] *= inv;
    }
  }
}

// Calls fn(offset, lanes) for every work item: one row per item when inner == 1, else a block of
// up to kLaneBlock inner positions of one outer slice. Items are fixed, so results do not
// depend on the thread count.
template <class Fn>
void for_each_softmax_item(const DimView& v, Fn fn) {
  if (v.inner == 1) {
    parallel_for(v.outer, std::max<int64_t>(1, kSoftmaxGrain / std::max<int64_t>(v.d, 1)),
                 [&](int64_t begin, int64_t end) {
                   for (int64_t r = begin; r < end; ++r) fn(r * v.d, int64_t(1));
                 });
    return;
  }
  const int64_t blocks = (v.inner + kLaneBlock - 1) / kLaneBlock;
  parallel_for(v.outer * blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      int64_t o = item / blocks, j0 = (item % blocks) * kLaneBlock;
      fn(o * v.d * v.inner + j0, std::min(kLaneBlock, v.inner - j0));
    }
  });
}

void softmax_forward(float* y, const float* x, const DimView& v, bool log) {
  for_each_softmax_item(v, [&](int64_t off, int64_t lanes) {
    if (v.inner == 1)
      softmax_row(y + off, x + off, v.d, log);
    else
      softmax_lanes(y + off, x + off, v.d, v.inner, lanes, log);
  });
}

// ---- backward kernels ---------------------------------------------------------------------
// softmax:     dx += y * (dy - sum_k dy_k y_k)
// log_softmax: dx += dy - exp(y) * sum_k dy_k
// Written lane-wise over the strided layout; a row (inner == 1) is the case lanes = 1, inner = 1,
// where the reduction runs along the row with SIMD.

void softmax_backward_row(float* dx, const float* dy, const float* y, int64_t d, bool log) {
  fbatch vs(0.0f);
  int64_t i = 0;
  for (; i + kB <= d; i += kB) {
    fbatch g = fbatch::load_unaligned(dy + i);
    vs += log ? g : g * fbatch::load_unaligned(y + i);
  }
  float s = xsimd::hadd(vs);
  for (; i < d; ++i) s += log ? dy[i] : dy[i] * y[i];
  fbatch bs(s);
  for (i = 0; i + kB <= d; i += kB) {
    fbatch g = fbatch::load_unaligned(dy + i), yy = fbatch::load_unaligned(y + i);
    fbatch r = log ? g - xsimd::exp(yy) * bs : yy * (g - bs);
    (fbatch::load_unaligned(dx + i) + r).store_unaligned(dx + i);
  }
  for (; i < d; ++i) dx[i] += log ? dy[i] - std::exp(y[i]) * s : y[i] * (dy[i] - s);
}

void softmax_backward_lanes(float* dx, const float* dy, const float* y, int64_t d,
                            int64_t inner, int64_t lanes, bool log) {
  int64_t j = 0;
  for (; j + kB <= lanes; j += kB) {
    fbatch s(0.0f);
    for (int64_t k = 0; k < d; ++k) {
      fbatch g = fbatch::load_unaligned(dy + k * inner + j);
      s += log ? g : g * fbatch::load_unaligned(y + k * inner + j);
    }
    for (int64_t k = 0; k < d; ++k) {
      int64_t o = k * inner + j;
      fbatch g = fbatch::load_unaligned(dy + o), yy = fbatch::load_unaligned(y + o);
      fbatch r = log ? g - xsimd::exp(yy) * s : yy * (g - s);
      (fbatch::load_unaligned(dx + o) + r).store_unaligned(dx + o);
    }
  }
  for (; j < lanes; ++j) {
    float s = 0.0f;
    for (int64_t k = 0; k < d; ++k) s += log ? dy[k * inner + j] : dy[k * inner + j] * y[k * inner + j];
    for (int64_t k = 0; k < d; ++k) {
      int64_t o = k * inner + j;
      dx[o] += log ? dy[o] - std::exp(y[o]) * s : y[o] * (dy[o] - s);
    }
  }
}

void softmax_backward(float* dx, const float* dy, const float* y, const DimView& v, bool log) {
  for_each_softmax_item(v, [&](int64_t off, int64_t lanes) {
    if (v.inner == 1)
      softmax_backward_row(dx + off, dy + off, y + off, v.d, log);
    else
      softmax_backward_lanes(dx + off, dy + off, y + off, v.d, v.inner, lanes, log);
  });
}

}  // namespace

// ---- scalar reference ---------------------------------------------------------------------
namespace ref {
namespace {

void softmax_any(const Tensor& out, const Tensor& x, int dim, bool log) {
  const char* name = log ? "ref::log_softmax" : "ref::softmax";
  DimView v = dim_view(x.shape(), dim, name);
  expect_shape(name, "out", out, x.shape());
  const float* px = x.data();
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t j = 0; j < v.inner; ++j) {
      auto at = [&](int64_t k) { return o * v.d * v.inner + k * v.inner + j; };
      double m = -std::numeric_limits<double>::infinity(), s = 0;
      for (int64_t k = 0; k < v.d; ++k) m = std::max(m, double(px[at(k)]));
      for (int64_t k = 0; k < v.d; ++k) s += std::exp(double(px[at(k)]) - m);
      for (int64_t k = 0; k < v.d; ++k) {
        double z = double(px[at(k)]) - m;
        out.data()[at(k)] = float(log ? z - std::log(s) : std::exp(z) / s);
      }
    }
}

}  // namespace

void softmax(const Tensor& out, const Tensor& x, int dim) { softmax_any(out, x, dim, false); }
void log_softmax(const Tensor& out, const Tensor& x, int dim) { softmax_any(out, x, dim, true); }

}  // namespace ref

// ---- autograd glue ------------------------------------------------------------------------

namespace {

Tensor softmax_op(const Tensor& x, int dim, bool log, const char* name) {
  DimView v = dim_view(x.shape(), dim, name);
  Tensor y = Tensor::empty(x.shape());
  if (x.numel() > 0) softmax_forward(y.data(), x.data(), v, log);
  if (should_record({x}))
    record(y, name, {x}, [x, v, log](const Tensor& y) {
      softmax_backward(x.grad_data(), y.grad_data(), y.data(), v, log);
    });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int dim) { return softmax_op(x, dim, false, "softmax"); }
Tensor log_softmax(const Tensor& x, int dim) { return softmax_op(x, dim, true, "log_softmax"); }

}  // namespace ulr
