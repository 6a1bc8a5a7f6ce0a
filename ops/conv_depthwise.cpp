// Depthwise conv2d (groups == C > 1, one input channel per group): direct xsimd kernels over one
// plane at a time, since the GEMM of a depthwise convolution would be a matrix-vector product
// per channel.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/parallel.h"
#include "ops/conv_internal.h"

namespace ulr {

// ---- forward kernels ----------------------------------------------------------------------
namespace {

// One plane of a depthwise correlation: out (OH,OW) += sum_kh,kw w[kh,kw] *
// in[oh*stride + kh*dilation, ow*stride + kw*dilation] over a zero-padded input plane of row
// length Wp. The forward runs it over padded x; the stride-1 input gradient over padded dout
// with the kernel flipped.
struct PlaneGeometry {
  int64_t OH, OW, Wp, KH, KW, stride, dilation;
};

// Stride 1 runs SIMD along ow. FixedKH, FixedKW > 0 fix the kernel size at compile time (3x3,
// the common case, unrolls fully); 0 reads it from `plane`.
template <int FixedKH, int FixedKW>
void plane_correlate(float* out, const float* in, const float* w, const PlaneGeometry& plane) {
  const int64_t KH = FixedKH ? FixedKH : plane.KH, KW = FixedKW ? FixedKW : plane.KW;
  const int64_t stride = plane.stride, dilation = plane.dilation;
  for (int64_t oh = 0; oh < plane.OH; ++oh) {
    float* o = out + oh * plane.OW;
    int64_t ow = 0;
    if (stride == 1) {
      for (; ow + kSimd <= plane.OW; ow += kSimd) {
        fbatch acc = fbatch::load_unaligned(o + ow);
        for (int64_t kh = 0; kh < KH; ++kh) {
          const float* row = in + (oh + kh * dilation) * plane.Wp + ow;
          for (int64_t kw = 0; kw < KW; ++kw)
            acc = xsimd::fma(fbatch::load_unaligned(row + kw * dilation), fbatch(w[kh * KW + kw]), acc);
        }
        acc.store_unaligned(o + ow);
      }
    }
    for (; ow < plane.OW; ++ow) {
      float acc = o[ow];
      for (int64_t kh = 0; kh < KH; ++kh) {
        const float* row = in + (oh * stride + kh * dilation) * plane.Wp + ow * stride;
        for (int64_t kw = 0; kw < KW; ++kw) acc = std::fma(row[kw * dilation], w[kh * KW + kw], acc);
      }
      o[ow] = acc;
    }
  }
}

void plane_correlate_any(float* out, const float* in, const float* w, const PlaneGeometry& plane) {
  if (plane.KH == 3 && plane.KW == 3)
    plane_correlate<3, 3>(out, in, w, plane);
  else
    plane_correlate<0, 0>(out, in, w, plane);
}

// dst (Hd,Wd) <- src (Hs,Ws) placed with its (0,0) at (top, left), zeros elsewhere. top and left
// may be negative (src rows or columns cut off).
void place_plane(float* dst, int64_t Hd, int64_t Wd, const float* src, int64_t Hs, int64_t Ws,
                 int64_t top, int64_t left) {
  std::fill(dst, dst + Hd * Wd, 0.0f);
  const int64_t c0 = std::max<int64_t>(left, 0), c1 = std::min(Wd, Ws + left);
  for (int64_t r = std::max<int64_t>(top, 0); r < std::min(Hd, Hs + top); ++r)
    if (c1 > c0)
      std::memcpy(dst + r * Wd + c0, src + (r - top) * Ws + (c0 - left), size_t(c1 - c0) * sizeof(float));
}

}  // namespace

// One unit = one (sample, output channel) plane.
void conv2d_forward_depthwise(float* out, const float* x, const float* weight, const float* bias,
                              const ConvGeometry& conv) {
  const int64_t Hp = conv.H + 2 * conv.pad, Wp = conv.W + 2 * conv.pad, taps = conv.KH * conv.KW;
  const PlaneGeometry plane{conv.OH, conv.OW, Wp, conv.KH, conv.KW, conv.stride, conv.dilation};
  parallel_for(conv.N * conv.OC, 4, [&](int64_t begin, int64_t end) {
    Scratch x_padded(Hp * Wp);
    int64_t padded = -1;  // which input plane x_padded holds
    for (int64_t p = begin; p < end; ++p) {
      const int64_t n = p / conv.OC, oc = p % conv.OC, c = oc / conv.OCg, input_plane = n * conv.C + c;
      if (input_plane != padded) {
        place_plane(x_padded.data, Hp, Wp, x + input_plane * conv.HW(), conv.H, conv.W, conv.pad, conv.pad);
        padded = input_plane;
      }
      float* o = out + p * conv.OHW();
      std::fill(o, o + conv.OHW(), bias ? bias[oc] : 0.0f);
      plane_correlate_any(o, x_padded.data, weight + oc * taps, plane);
    }
  });
}

// ---- backward kernels ---------------------------------------------------------------------
namespace {

// dw (KH,KW) += sum_oh,ow dout[oh,ow] * x_padded[oh*stride + kh*dilation, ow*stride + kw*dilation]
// for one plane. With stride 1 each SIMD block of dout feeds every tap while the per-tap sums
// stay in registers.
template <int FixedKH, int FixedKW>
void plane_weight_gradient(float* dw, const float* dout, const float* x_padded,
                           const PlaneGeometry& plane) {
  constexpr int kMaxTaps = 49;  // SIMD sums for kernels up to 7x7; larger ones run scalar
  const int64_t KH = FixedKH ? FixedKH : plane.KH, KW = FixedKW ? FixedKW : plane.KW;
  const int64_t stride = plane.stride, dilation = plane.dilation;
  if (stride != 1 || KH * KW > kMaxTaps) {
    for (int64_t kh = 0; kh < KH; ++kh)
      for (int64_t kw = 0; kw < KW; ++kw) {
        float sum = 0.0f;
        for (int64_t oh = 0; oh < plane.OH; ++oh)
          for (int64_t ow = 0; ow < plane.OW; ++ow)
            sum = std::fma(dout[oh * plane.OW + ow],
                           x_padded[(oh * stride + kh * dilation) * plane.Wp + ow * stride + kw * dilation],
                           sum);
        dw[kh * KW + kw] += sum;
      }
    return;
  }
  fbatch acc[FixedKH ? FixedKH * FixedKW : kMaxTaps];
  float tail[FixedKH ? FixedKH * FixedKW : kMaxTaps];
  for (int64_t k = 0; k < KH * KW; ++k) acc[k] = fbatch(0.0f), tail[k] = 0.0f;
  for (int64_t oh = 0; oh < plane.OH; ++oh) {
    const float* dout_row = dout + oh * plane.OW;
    int64_t ow = 0;
    for (; ow + kSimd <= plane.OW; ow += kSimd) {
      const fbatch dout_vector = fbatch::load_unaligned(dout_row + ow);
      for (int64_t kh = 0; kh < KH; ++kh) {
        const float* row = x_padded + (oh + kh * dilation) * plane.Wp + ow;
        for (int64_t kw = 0; kw < KW; ++kw)
          acc[kh * KW + kw] =
              xsimd::fma(dout_vector, fbatch::load_unaligned(row + kw * dilation), acc[kh * KW + kw]);
      }
    }
    for (; ow < plane.OW; ++ow)
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = 0; kw < KW; ++kw)
          tail[kh * KW + kw] =
              std::fma(dout_row[ow], x_padded[(oh + kh * dilation) * plane.Wp + ow + kw * dilation],
                       tail[kh * KW + kw]);
  }
  for (int64_t k = 0; k < KH * KW; ++k) dw[k] += xsimd::hadd(acc[k]) + tail[k];
}

// dx_padded [oh*stride + kh*dilation, ow*stride + kw*dilation] += w[kh,kw] * dout[oh,ow]: the
// scatter form of the input gradient, used for stride > 1 (stride 1 uses the flipped-kernel
// correlation).
void plane_scatter_input_gradient(float* dx_padded, const float* dout, const float* w,
                                  const PlaneGeometry& plane) {
  for (int64_t oh = 0; oh < plane.OH; ++oh)
    for (int64_t ow = 0; ow < plane.OW; ++ow) {
      const float dout_value = dout[oh * plane.OW + ow];
      for (int64_t kh = 0; kh < plane.KH; ++kh)
        for (int64_t kw = 0; kw < plane.KW; ++kw) {
          float& t = dx_padded[(oh * plane.stride + kh * plane.dilation) * plane.Wp + ow * plane.stride +
                               kw * plane.dilation];
          t = std::fma(dout_value, w[kh * plane.KW + kw], t);
        }
    }
}

}  // namespace

// One unit = one input channel with its OCg output channels over all samples, samples in order:
// the weight gradient needs no partial buffers and dx planes are disjoint. With stride 1,
// dx (H,W) += correlation of dout padded by dilation*(K-1) - pad with the flipped kernel, which
// reads dout and writes each dx element once.
void conv2d_backward_depthwise(float* dx, float* dweight, const float* dout, const float* x,
                               const float* weight, const ConvGeometry& conv) {
  const int64_t Hp = conv.H + 2 * conv.pad, Wp = conv.W + 2 * conv.pad, taps = conv.KH * conv.KW;
  const int64_t top = conv.dilation * (conv.KH - 1) - conv.pad;
  const int64_t left = conv.dilation * (conv.KW - 1) - conv.pad;
  // dout padded for the flipped-kernel correlation: (padded_dout_h, padded_dout_w)
  const int64_t padded_dout_h = conv.H + conv.dilation * (conv.KH - 1);
  const int64_t padded_dout_w = conv.W + conv.dilation * (conv.KW - 1);
  const PlaneGeometry forward{conv.OH, conv.OW, Wp, conv.KH, conv.KW, conv.stride, conv.dilation};
  const PlaneGeometry transposed{conv.H, conv.W, padded_dout_w, conv.KH, conv.KW, 1, conv.dilation};
  const bool gather = conv.stride == 1;
  parallel_for(conv.C, 1, [&](int64_t begin, int64_t end) {
    // gather: dout padded for the flipped-kernel correlation; scatter: dx padded
    Scratch x_padded(Hp * Wp), padded(gather ? padded_dout_h * padded_dout_w : Hp * Wp);
    Scratch dw(conv.OCg * taps), flipped(taps);
    for (int64_t c = begin; c < end; ++c) {
      std::fill(dw.data, dw.data + conv.OCg * taps, 0.0f);
      for (int64_t n = 0; n < conv.N; ++n) {
        const int64_t input_plane = n * conv.C + c;
        if (dweight)
          place_plane(x_padded.data, Hp, Wp, x + input_plane * conv.HW(), conv.H, conv.W, conv.pad,
                      conv.pad);
        if (dx && !gather) std::fill(padded.data, padded.data + Hp * Wp, 0.0f);
        for (int64_t j = 0; j < conv.OCg; ++j) {
          const int64_t oc = c * conv.OCg + j;
          const float* dout_plane = dout + (n * conv.OC + oc) * conv.OHW();
          const float* w = weight + oc * taps;
          if (dweight) {
            if (conv.KH == 3 && conv.KW == 3)
              plane_weight_gradient<3, 3>(dw.data + j * taps, dout_plane, x_padded.data, forward);
            else
              plane_weight_gradient<0, 0>(dw.data + j * taps, dout_plane, x_padded.data, forward);
          }
          if (dx && gather) {
            for (int64_t k = 0; k < taps; ++k) flipped.data[k] = w[taps - 1 - k];
            place_plane(padded.data, padded_dout_h, padded_dout_w, dout_plane, conv.OH, conv.OW, top, left);
            plane_correlate_any(dx + input_plane * conv.HW(), padded.data, flipped.data, transposed);
          } else if (dx) {
            plane_scatter_input_gradient(padded.data, dout_plane, w, forward);
          }
        }
        if (dx && !gather) {
          float* dx_plane = dx + input_plane * conv.HW();
          for (int64_t h = 0; h < conv.H; ++h)
            for (int64_t w = 0; w < conv.W; ++w)
              dx_plane[h * conv.W + w] += padded.data[(h + conv.pad) * Wp + conv.pad + w];
        }
      }
      if (dweight)
        for (int64_t i = 0; i < conv.OCg * taps; ++i) dweight[c * conv.OCg * taps + i] += dw.data[i];
    }
  });
}

}  // namespace ulr
