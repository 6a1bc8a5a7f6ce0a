// Pooling over (N,C,H,W) planes: average (count_include_pad = true), max (padding acts as -inf)
// and global average. PyTorch semantics: output size floor((H + 2*pad - kernel) / stride) + 1,
// pad <= kernel / 2. Every (n, c) plane is independent, so planes are split across threads and
// each plane is computed the same way whatever the thread count.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "engine/error.h"
#include "engine/parallel.h"
#include "ops/ops.h"
#include "ops/reference.h"

namespace ulr {
namespace {

constexpr int64_t kPlaneGrain = 16;  // (n, c) planes per thread chunk

struct PoolGeometry {
  int64_t planes, H, W, OH, OW;  // planes = N*C
  int64_t kernel, stride, pad;
};

PoolGeometry make_pool_geometry(const Shape& s, int kernel, int stride, int pad) {
  PoolGeometry g;
  g.planes = s[0] * s[1], g.H = s[2], g.W = s[3];
  g.kernel = kernel, g.stride = stride, g.pad = pad;
  g.OH = (g.H + 2 * g.pad - g.kernel) / g.stride + 1;
  g.OW = (g.W + 2 * g.pad - g.kernel) / g.stride + 1;
  return g;
}

// Window of output (oh, ow) clipped to the input: rows [h0, h1), columns [w0, w1).
struct Window {
  int64_t h0, h1, w0, w1;
};
Window window(const PoolGeometry& g, int64_t oh, int64_t ow) {
  const int64_t h = oh * g.stride - g.pad, w = ow * g.stride - g.pad;
  return {std::max<int64_t>(h, 0), std::min(h + g.kernel, g.H), std::max<int64_t>(w, 0),
          std::min(w + g.kernel, g.W)};
}

// ---- forward kernels ----------------------------------------------------------------------

// out (planes,OH,OW) = window sums / kernel^2 (padding counts as zeros in the divisor).
void avg_pool2d_forward(float* out, const float* x, const PoolGeometry& g) {
  const float inv = 1.0f / float(g.kernel * g.kernel);
  parallel_for(g.planes, kPlaneGrain, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const float* xp = x + p * g.H * g.W;
      float* op = out + p * g.OH * g.OW;
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          Window win = window(g, oh, ow);
          float s = 0;
          for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w) s += xp[h * g.W + w];
          op[oh * g.OW + ow] = s * inv;
        }
    }
  });
}

// Index (h*W + w) of the window's maximum: the first one in row-major order on ties, and the
// first NaN if there is one (PyTorch's rule). pad <= kernel/2 keeps every window non-empty.
int64_t window_argmax(const float* xp, const PoolGeometry& g, const Window& win) {
  int64_t best = win.h0 * g.W + win.w0;
  float best_value = -std::numeric_limits<float>::infinity();
  for (int64_t h = win.h0; h < win.h1; ++h)
    for (int64_t w = win.w0; w < win.w1; ++w) {
      const float v = xp[h * g.W + w];
      if (v > best_value || std::isnan(v)) {
        best = h * g.W + w, best_value = v;
        if (std::isnan(v)) return best;
      }
    }
  return best;
}

void max_pool2d_forward(float* out, const float* x, const PoolGeometry& g) {
  parallel_for(g.planes, kPlaneGrain, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const float* xp = x + p * g.H * g.W;
      float* op = out + p * g.OH * g.OW;
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) op[oh * g.OW + ow] = xp[window_argmax(xp, g, window(g, oh, ow))];
    }
  });
}

// out (planes) = mean over the plane's hw elements, summed in double in index order.
void global_avg_pool_forward(float* out, const float* x, int64_t planes, int64_t hw) {
  parallel_for(planes, kPlaneGrain, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      double s = 0;
      for (int64_t i = 0; i < hw; ++i) s += x[p * hw + i];
      out[p] = float(s / double(hw));
    }
  });
}

// ---- backward kernels ---------------------------------------------------------------------

// dx += dout spread evenly over each window (kernel^2 divisor, padding included).
void avg_pool2d_backward(float* dx, const float* dout, const PoolGeometry& g) {
  const float inv = 1.0f / float(g.kernel * g.kernel);
  parallel_for(g.planes, kPlaneGrain, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      float* dxp = dx + p * g.H * g.W;
      const float* gp = dout + p * g.OH * g.OW;
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          Window win = window(g, oh, ow);
          const float v = gp[oh * g.OW + ow] * inv;
          for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w) dxp[h * g.W + w] += v;
        }
    }
  });
}

// dx[argmax of window] += dout; the argmax is recomputed from x (nothing cached).
void max_pool2d_backward(float* dx, const float* dout, const float* x, const PoolGeometry& g) {
  parallel_for(g.planes, kPlaneGrain, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const float* xp = x + p * g.H * g.W;
      float* dxp = dx + p * g.H * g.W;
      const float* gp = dout + p * g.OH * g.OW;
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow)
          dxp[window_argmax(xp, g, window(g, oh, ow))] += gp[oh * g.OW + ow];
    }
  });
}

void global_avg_pool_backward(float* dx, const float* dout, int64_t planes, int64_t hw) {
  parallel_for(planes, kPlaneGrain, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const float v = dout[p] / float(hw);
      for (int64_t i = 0; i < hw; ++i) dx[p * hw + i] += v;
    }
  });
}

}  // namespace

// ---- scalar reference ---------------------------------------------------------------------
namespace ref {
namespace {

// Calls fn(plane, oh, ow, h, w) for each input element (h, w) inside output (oh, ow)'s window,
// padding positions included with h or w out of range.
template <class Fn>
void for_each_window_element(const PoolGeometry& g, Fn&& fn) {
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t oh = 0; oh < g.OH; ++oh)
      for (int64_t ow = 0; ow < g.OW; ++ow)
        for (int64_t i = 0; i < g.kernel; ++i)
          for (int64_t j = 0; j < g.kernel; ++j)
            fn(p, oh, ow, oh * g.stride - g.pad + i, ow * g.stride - g.pad + j);
}

Shape pooled_shape(const Shape& s, const PoolGeometry& g) { return {s[0], s[1], g.OH, g.OW}; }

// Index of the maximum of each window, padding as -inf; strict > keeps the first on ties.
std::vector<int64_t> max_indices(const Tensor& x, const PoolGeometry& g) {
  std::vector<int64_t> index(size_t(g.planes * g.OH * g.OW), -1);
  std::vector<float> best(index.size(), -std::numeric_limits<float>::infinity());
  for_each_window_element(g, [&](int64_t p, int64_t oh, int64_t ow, int64_t h, int64_t w) {
    const size_t o = size_t((p * g.OH + oh) * g.OW + ow);
    const bool inside = h >= 0 && h < g.H && w >= 0 && w < g.W;
    const int64_t i = (p * g.H + h) * g.W + w;
    if (inside && (index[o] < 0 || x.data()[i] > best[o])) index[o] = i, best[o] = x.data()[i];
  });
  return index;
}

}  // namespace

void avg_pool2d_forward(const Tensor& out, const Tensor& x, int kernel, int stride, int pad) {
  PoolGeometry g = make_pool_geometry(x.shape(), kernel, stride, pad);
  expect_shape("ref::avg_pool2d_forward", "out", out, pooled_shape(x.shape(), g));
  std::vector<double> acc(size_t(g.planes * g.OH * g.OW), 0.0);
  for_each_window_element(g, [&](int64_t p, int64_t oh, int64_t ow, int64_t h, int64_t w) {
    if (h >= 0 && h < g.H && w >= 0 && w < g.W)
      acc[size_t((p * g.OH + oh) * g.OW + ow)] += x.data()[(p * g.H + h) * g.W + w];
  });
  for (size_t i = 0; i < acc.size(); ++i) out.data()[i] = float(acc[i] / double(kernel * kernel));
}

void avg_pool2d_backward(const Tensor& dx, const Tensor& dout, int kernel, int stride, int pad) {
  PoolGeometry g = make_pool_geometry(dx.shape(), kernel, stride, pad);
  expect_shape("ref::avg_pool2d_backward", "dout", dout, pooled_shape(dx.shape(), g));
  for_each_window_element(g, [&](int64_t p, int64_t oh, int64_t ow, int64_t h, int64_t w) {
    if (h >= 0 && h < g.H && w >= 0 && w < g.W)
      dx.data()[(p * g.H + h) * g.W + w] +=
          dout.data()[(p * g.OH + oh) * g.OW + ow] / float(kernel * kernel);
  });
}

void max_pool2d_forward(const Tensor& out, const Tensor& x, int kernel, int stride, int pad) {
  PoolGeometry g = make_pool_geometry(x.shape(), kernel, stride, pad);
  expect_shape("ref::max_pool2d_forward", "out", out, pooled_shape(x.shape(), g));
  std::vector<int64_t> index = max_indices(x, g);
  for (size_t o = 0; o < index.size(); ++o) out.data()[o] = x.data()[index[o]];
}

void max_pool2d_backward(const Tensor& dx, const Tensor& dout, const Tensor& x, int kernel,
                         int stride, int pad) {
  PoolGeometry g = make_pool_geometry(x.shape(), kernel, stride, pad);
  expect_shape("ref::max_pool2d_backward", "dx", dx, x.shape());
  expect_shape("ref::max_pool2d_backward", "dout", dout, pooled_shape(x.shape(), g));
  std::vector<int64_t> index = max_indices(x, g);
  for (size_t o = 0; o < index.size(); ++o) dx.data()[index[o]] += dout.data()[o];
}

void global_avg_pool_forward(const Tensor& out, const Tensor& x) {
  const int64_t planes = x.size(0) * x.size(1), hw = x.size(2) * x.size(3);
  expect_shape("ref::global_avg_pool_forward", "out", out, {x.size(0), x.size(1)});
  for (int64_t p = 0; p < planes; ++p) {
    double s = 0;
    for (int64_t i = 0; i < hw; ++i) s += x.data()[p * hw + i];
    out.data()[p] = float(s / double(hw));
  }
}

void global_avg_pool_backward(const Tensor& dx, const Tensor& dout) {
  const int64_t hw = dx.size(2) * dx.size(3);
  expect_shape("ref::global_avg_pool_backward", "dout", dout, {dx.size(0), dx.size(1)});
  for (int64_t i = 0; i < dx.numel(); ++i) dx.data()[i] += dout.data()[i / hw] / float(hw);
}

}  // namespace ref

// ---- autograd glue ------------------------------------------------------------------------

namespace {

PoolGeometry checked_pool_geometry(const Tensor& x, int kernel, int stride, int pad,
                                   const char* op) {
  auto fail = [&](const std::string& why) {
    throw Error(std::string(op) + ": input " + x.shape().str() + ", kernel " +
                std::to_string(kernel) + ", stride " + std::to_string(stride) + ", pad " +
                std::to_string(pad) + ": " + why);
  };
  if (x.rank() != 4) fail("input must be (N,C,H,W)");
  if (kernel < 1 || stride < 1 || pad < 0) fail("needs kernel >= 1, stride >= 1, pad >= 0");
  if (2 * pad > kernel) fail("pad must be at most half the kernel");
  if (kernel > x.size(2) + 2 * pad || kernel > x.size(3) + 2 * pad)
    fail("kernel is larger than the padded input");
  return make_pool_geometry(x.shape(), kernel, stride, pad);
}

}  // namespace

Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int pad) {
  PoolGeometry g = checked_pool_geometry(x, kernel, stride, pad, "avg_pool2d");
  Tensor out = Tensor::empty({x.size(0), x.size(1), g.OH, g.OW});
  avg_pool2d_forward(out.data(), x.data(), g);
  if (should_record({x})) {
    record(out, "avg_pool2d", {x}, [x, g](const Tensor& out) {
      avg_pool2d_backward(x.grad_data(), out.grad_data(), g);
    });
  }
  return out;
}

Tensor max_pool2d(const Tensor& x, int kernel, int stride, int pad) {
  PoolGeometry g = checked_pool_geometry(x, kernel, stride, pad, "max_pool2d");
  Tensor out = Tensor::empty({x.size(0), x.size(1), g.OH, g.OW});
  max_pool2d_forward(out.data(), x.data(), g);
  if (should_record({x})) {
    record(out, "max_pool2d", {x}, [x, g](const Tensor& out) {
      max_pool2d_backward(x.grad_data(), out.grad_data(), x.data(), g);
    });
  }
  return out;
}

Tensor global_avg_pool(const Tensor& x) {
  if (x.rank() != 4)
    throw Error("global_avg_pool: input " + x.shape().str() + " must be (N,C,H,W)");
  const int64_t planes = x.size(0) * x.size(1), hw = x.size(2) * x.size(3);
  if (hw == 0) throw Error("global_avg_pool: input " + x.shape().str() + " has no pixels");
  Tensor out = Tensor::empty({x.size(0), x.size(1)});
  global_avg_pool_forward(out.data(), x.data(), planes, hw);
  if (should_record({x})) {
    record(out, "global_avg_pool", {x}, [x, planes, hw](const Tensor& out) {
      global_avg_pool_backward(x.grad_data(), out.grad_data(), planes, hw);
    });
  }
  return out;
}

}  // namespace ulr
