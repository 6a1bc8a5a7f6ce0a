// Bilinear and bicubic resize with PyTorch's align_corners=false conventions, and area (box)
// downsampling.
//
// Resize is separable: each output row/column reads a few taps of the input along that axis with
// fixed weights. As in torch (1.13, CPU), the scale is in/out in float, the source coordinate is
// (dst + 0.5) * scale - 0.5; bilinear clamps a negative coordinate to 0 and takes taps
// floor(src), floor(src)+1 (the second clamped to the last index); bicubic uses the unclamped
// coordinate, taps floor(src)-1 .. floor(src)+2 clamped to the border, and Keys' cubic with
// A = -0.75. An axis whose size does not change is copied. There is no antialiasing when
// downsampling (torch's default). Output is sum_p wy[p] * (sum_q wx[q] * x[y_p, x_q]).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/parallel.h"
#include "ops/ops.h"
#include "ops/reference.h"

namespace ulr {
namespace {

constexpr float kCubicA = -0.75f;

// Taps of one axis: for output index o, input indices index[o*taps + t] with weights weight[...].
struct AxisTaps {
  int taps = 0;
  std::vector<int64_t> index;
  std::vector<float> weight;
};

float source_coordinate(int64_t in, int64_t out, int64_t dst) {
  const float scale = float(in) / float(out);
  return scale * (float(dst) + 0.5f) - 0.5f;
}

void cubic_weights(float t, float* w) {
  // Keys' kernel: |x| <= 1: ((A+2)|x| - (A+3))|x|^2 + 1; 1 < |x| < 2: A(|x|^3 - 5|x|^2 + 8|x| - 4).
  auto near = [](float x) { return ((kCubicA + 2) * x - (kCubicA + 3)) * x * x + 1; };
  auto far = [](float x) {
    return ((kCubicA * x - 5 * kCubicA) * x + 8 * kCubicA) * x - 4 * kCubicA;
  };
  w[0] = far(t + 1), w[1] = near(t), w[2] = near(1 - t), w[3] = far(2 - t);
}

AxisTaps linear_taps(int64_t in, int64_t out) {
  AxisTaps a;
  a.taps = 2;
  a.index.resize(size_t(out * 2));
  a.weight.resize(size_t(out * 2));
  for (int64_t o = 0; o < out; ++o) {
    int64_t i0 = o, i1 = o;
    float l1 = 0.0f;
    if (in != out) {
      const float src = std::max(source_coordinate(in, out, o), 0.0f);
      i0 = int64_t(src);
      i1 = i0 + (i0 < in - 1 ? 1 : 0);
      l1 = src - float(i0);
    }
    a.index[size_t(2 * o)] = i0, a.index[size_t(2 * o + 1)] = i1;
    a.weight[size_t(2 * o)] = 1.0f - l1, a.weight[size_t(2 * o + 1)] = l1;
  }
  return a;
}

AxisTaps cubic_taps(int64_t in, int64_t out) {
  AxisTaps a;
  a.taps = 4;
  a.index.resize(size_t(out * 4));
  a.weight.resize(size_t(out * 4));
  for (int64_t o = 0; o < out; ++o) {
    const float src = in == out ? float(o) : source_coordinate(in, out, o);
    const float fl = std::floor(src);
    cubic_weights(src - fl, &a.weight[size_t(4 * o)]);
    for (int t = 0; t < 4; ++t)
      a.index[size_t(4 * o + t)] = std::min(std::max(int64_t(fl) - 1 + t, int64_t(0)), in - 1);
  }
  return a;
}

// Planes per thread chunk: about 2^15 tap evaluations each (small inputs run serially).
int64_t plane_grain(int64_t H, int64_t OH, int64_t OW, const AxisTaps& ty,
                    const AxisTaps& tx) {
  const int64_t work = H * OW * tx.taps + OH * OW * ty.taps;
  return std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, work));
}

// ---- forward kernels ----------------------------------------------------------------------

// out (P,OH,OW) from x (P,H,W), P = N*C planes, in parallel over planes. Per plane: first
// along W into rows (H,OW), then along H.
void resize_forward(float* out, const float* x, int64_t P, int64_t H, int64_t W,
                    int64_t OH, int64_t OW, const AxisTaps& ty, const AxisTaps& tx) {
  parallel_for(P, plane_grain(H, OH, OW, ty, tx), [&](int64_t begin, int64_t end) {
    std::vector<float> rows(size_t(H * OW));
    for (int64_t p = begin; p < end; ++p) {
      const float* xp = x + p * H * W;
      for (int64_t h = 0; h < H; ++h)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t* idx = &tx.index[size_t(ow * tx.taps)];
          const float* wt = &tx.weight[size_t(ow * tx.taps)];
          float s = xp[h * W + idx[0]] * wt[0];
          for (int t = 1; t < tx.taps; ++t) s += xp[h * W + idx[t]] * wt[t];
          rows[size_t(h * OW + ow)] = s;
        }
      float* op = out + p * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const int64_t* idx = &ty.index[size_t(oh * ty.taps)];
        const float* wt = &ty.weight[size_t(oh * ty.taps)];
        for (int64_t ow = 0; ow < OW; ++ow) {
          float s = rows[size_t(idx[0] * OW + ow)] * wt[0];
          for (int t = 1; t < ty.taps; ++t) s += rows[size_t(idx[t] * OW + ow)] * wt[t];
          op[oh * OW + ow] = s;
        }
      }
    }
  });
}

// out (P,H/f,W/f) = mean of each f x f block of x (P,H,W).
void area_forward(float* out, const float* x, int64_t P, int64_t H, int64_t W, int64_t f) {
  const int64_t OH = H / f, OW = W / f;
  const float inv = 1.0f / float(f * f);
  parallel_for(P * OH, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, W * f)),
               [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const float* xr = x + row * f * W;  // rows (p, oh) start at input row oh*f of plane p
      for (int64_t ow = 0; ow < OW; ++ow) {
        float s = 0;
        for (int64_t i = 0; i < f; ++i)
          for (int64_t j = 0; j < f; ++j) s += xr[i * W + ow * f + j];
        out[row * OW + ow] = s * inv;
      }
    }
  });
}

// ---- backward kernels ---------------------------------------------------------------------

// dx (P,H,W) += the scatter of dout (P,OH,OW) with the forward's weights, in the reverse order
// of the forward passes. Serial within a plane, so sums run in a fixed order.
void resize_backward(float* dx, const float* dout, int64_t P, int64_t H, int64_t W,
                     int64_t OH, int64_t OW, const AxisTaps& ty, const AxisTaps& tx) {
  parallel_for(P, plane_grain(H, OH, OW, ty, tx), [&](int64_t begin, int64_t end) {
    std::vector<float> rows(size_t(H * OW));
    for (int64_t p = begin; p < end; ++p) {
      std::fill(rows.begin(), rows.end(), 0.0f);
      const float* dp = dout + p * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const int64_t* idx = &ty.index[size_t(oh * ty.taps)];
        const float* wt = &ty.weight[size_t(oh * ty.taps)];
        for (int t = 0; t < ty.taps; ++t)
          for (int64_t ow = 0; ow < OW; ++ow)
            rows[size_t(idx[t] * OW + ow)] += wt[t] * dp[oh * OW + ow];
      }
      float* dxp = dx + p * H * W;
      for (int64_t h = 0; h < H; ++h)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t* idx = &tx.index[size_t(ow * tx.taps)];
          const float* wt = &tx.weight[size_t(ow * tx.taps)];
          const float g = rows[size_t(h * OW + ow)];
          for (int t = 0; t < tx.taps; ++t) dxp[h * W + idx[t]] += wt[t] * g;
        }
    }
  });
}

// dx (P,H,W) += dout (P,H/f,W/f) / (f*f) spread over each block.
void area_backward(float* dx, const float* dout, int64_t P, int64_t H, int64_t W,
                   int64_t f) {
  const int64_t OH = H / f, OW = W / f;
  const float inv = 1.0f / float(f * f);
  parallel_for(P * OH, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, W * f)),
               [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      float* dr = dx + row * f * W;
      for (int64_t ow = 0; ow < OW; ++ow) {
        const float g = dout[row * OW + ow] * inv;
        for (int64_t i = 0; i < f; ++i)
          for (int64_t j = 0; j < f; ++j) dr[i * W + ow * f + j] += g;
      }
    }
  });
}

void check_resize(const Tensor& x, int out_h, int out_w, const char* op) {
  if (x.rank() != 4 || out_h < 1 || out_w < 1 || x.size(2) < 1 || x.size(3) < 1)
    throw Error(std::string(op) + ": x " + x.shape().str() + " to " + std::to_string(out_h) +
                "x" + std::to_string(out_w) + ": need x (N,C,H,W) with H, W >= 1 and a size >= 1");
}

}  // namespace

// ---- scalar reference ---------------------------------------------------------------------
namespace ref {
namespace {

// Written from the definition, without the tap tables: weights from the distance of each
// input index to the source coordinate.
double ref_cubic(double d) {
  const double A = -0.75, x = std::fabs(d);
  if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return A * (x * x * x - 5 * x * x + 8 * x - 4);
  return 0;
}

void resize_ref(const Tensor& out, const Tensor& x, int out_h, int out_w, bool cubic) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  expect_shape(cubic ? "ref::resize_bicubic" : "ref::resize_bilinear", "out", out, {N, C, out_h, out_w});
  auto src = [cubic](int64_t in, int64_t out, int64_t d) {
    if (in == out) return double(d);
    double s = double(float(in) / float(out)) * (double(d) + 0.5) - 0.5;
    return cubic ? s : std::max(s, 0.0);
  };
  for (int64_t p = 0; p < N * C; ++p)
    for (int64_t oh = 0; oh < out_h; ++oh)
      for (int64_t ow = 0; ow < out_w; ++ow) {
        const double sy = src(H, out_h, oh), sx = src(W, out_w, ow);
        const int64_t fy = int64_t(std::floor(sy)), fx = int64_t(std::floor(sx));
        double s = 0;
        if (cubic) {
          for (int64_t i = fy - 1; i <= fy + 2; ++i)
            for (int64_t j = fx - 1; j <= fx + 2; ++j) {
              const int64_t ci = std::min(std::max(i, int64_t(0)), H - 1);
              const int64_t cj = std::min(std::max(j, int64_t(0)), W - 1);
              s += ref_cubic(sy - double(i)) * ref_cubic(sx - double(j)) *
                   x.data()[(p * H + ci) * W + cj];
            }
        } else {
          for (int64_t i = fy; i <= fy + 1; ++i)
            for (int64_t j = fx; j <= fx + 1; ++j) {
              const double w = (1 - std::fabs(sy - double(i))) * (1 - std::fabs(sx - double(j)));
              if (w == 0) continue;  // the tap past the border carries no weight
              s += w * x.data()[(p * H + std::min(i, H - 1)) * W + std::min(j, W - 1)];
            }
        }
        out.data()[(p * out_h + oh) * out_w + ow] = float(s);
      }
}

}  // namespace

void resize_bilinear(const Tensor& out, const Tensor& x, int out_h, int out_w) {
  resize_ref(out, x, out_h, out_w, false);
}
void resize_bicubic(const Tensor& out, const Tensor& x, int out_h, int out_w) {
  resize_ref(out, x, out_h, out_w, true);
}

void area_downsample(const Tensor& out, const Tensor& x, int factor) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2) / factor, W = x.size(3) / factor;
  expect_shape("ref::area_downsample", "out", out, {N, C, H, W});
  for (int64_t p = 0; p < N * C; ++p)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w) {
        double s = 0;
        for (int64_t i = 0; i < factor; ++i)
          for (int64_t j = 0; j < factor; ++j)
            s += x.data()[(p * H * factor + h * factor + i) * W * factor + w * factor + j];
        out.data()[(p * H + h) * W + w] = float(s / double(factor * factor));
      }
}

}  // namespace ref

// ---- autograd glue ------------------------------------------------------------------------

namespace {

Tensor resize(const Tensor& x, int out_h, int out_w, bool cubic, const char* op) {
  check_resize(x, out_h, out_w, op);
  const int64_t P = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
  auto ty = std::make_shared<AxisTaps>(cubic ? cubic_taps(H, out_h) : linear_taps(H, out_h));
  auto tx = std::make_shared<AxisTaps>(cubic ? cubic_taps(W, out_w) : linear_taps(W, out_w));
  Tensor out = Tensor::empty({x.size(0), x.size(1), out_h, out_w});
  resize_forward(out.data(), x.data(), P, H, W, out_h, out_w, *ty, *tx);
  if (should_record({x})) {
    record(out, op, {x}, [x, ty, tx, P, H, W, out_h, out_w](const Tensor& out) {
      resize_backward(x.grad_data(), out.grad_data(), P, H, W, out_h, out_w, *ty, *tx);
    });
  }
  return out;
}

}  // namespace

Tensor resize_bilinear(const Tensor& x, int out_h, int out_w) {
  return resize(x, out_h, out_w, false, "resize_bilinear");
}

Tensor resize_bicubic(const Tensor& x, int out_h, int out_w) {
  return resize(x, out_h, out_w, true, "resize_bicubic");
}

Tensor area_downsample(const Tensor& x, int factor) {
  if (x.rank() != 4 || factor < 1 || x.size(2) % factor != 0 || x.size(3) % factor != 0)
    throw Error("area_downsample: x " + x.shape().str() + " with factor " + std::to_string(factor) +
                ": need x (N,C,H,W) with H and W multiples of the factor");
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), f = factor;
  Tensor out = Tensor::empty({N, C, H / f, W / f});
  area_forward(out.data(), x.data(), N * C, H, W, f);
  if (should_record({x})) {
    record(out, "area_downsample", {x}, [x, N, C, H, W, f](const Tensor& out) {
      area_backward(x.grad_data(), out.grad_data(), N * C, H, W, f);
    });
  }
  return out;
}

}  // namespace ulr
