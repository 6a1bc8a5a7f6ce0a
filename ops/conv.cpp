// 2-D convolution (cross-correlation, as PyTorch) with stride, zero padding, dilation and groups:
// the geometry, the choice of kernel, the scalar reference and the autograd glue. The kernels
// live in three files by family (ops/conv_internal.h declares them):
//   - ops/conv_gemm.cpp: im2col + Eigen GEMM, any convolution; a 1x1 at stride 1 without
//     padding multiplies x itself.
//   - ops/conv_direct.cpp: xsimd kernels over zero-padded input rows for 3x3 (groups 1,
//     dilation 1, pad <= 2): the forward at stride 1 and 2 and the stride-1 input gradient, with
//     no im2col and no GEMM packing; the weight gradient too with at most 16 output channels on
//     maps at least 32 wide.
//   - ops/conv_depthwise.cpp: xsimd kernels per plane for groups == C > 1 (one input channel per
//     group), whose GEMM would be a matrix-vector product per channel.
#include <algorithm>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/parallel.h"
#include "ops/conv_internal.h"
#include "ops/ops.h"
#include "ops/reference.h"
#include "ops/row_kernels.h"

namespace ulr {
namespace {

// Output columns (OH*OW) one forward unit covers at most; a unit is whole output rows. A
// forward has at least kMinForwardUnits units where the output has that many rows.
constexpr int64_t kMinForwardUnits = 4;
constexpr int64_t kForwardTileColumns = 1024;
// Output columns (samples x OH*OW) per backward chunk: one partial weight gradient per chunk.
// Chunks are smaller where that gives fewer than kMinBackwardChunks (an 8x8 map at batch 16
// would otherwise be one chunk, one thread).
constexpr int64_t kBackwardChunkColumns = 1024;
constexpr int64_t kMinBackwardChunks = 8;

ConvGeometry make_geometry(const Shape& x_shape, const Shape& weight_shape, Conv2dOptions opt) {
  ConvGeometry conv;
  conv.N = x_shape[0], conv.C = x_shape[1], conv.H = x_shape[2], conv.W = x_shape[3];
  conv.OC = weight_shape[0], conv.KH = weight_shape[2], conv.KW = weight_shape[3];
  conv.stride = opt.stride, conv.pad = opt.pad, conv.dilation = opt.dilation, conv.groups = opt.groups;
  conv.Cg = conv.C / conv.groups, conv.OCg = conv.OC / conv.groups;
  conv.OH = (conv.H + 2 * conv.pad - conv.dilation * (conv.KH - 1) - 1) / conv.stride + 1;
  conv.OW = (conv.W + 2 * conv.pad - conv.dilation * (conv.KW - 1) - 1) / conv.stride + 1;
  return conv;
}

}  // namespace

// ---- the work split -----------------------------------------------------------------------

// Whole planes up to kForwardTileColumns, smaller tiles when there are fewer than
// kMinForwardUnits (batch 1 at ULR size), so that the threads share the work. Fixed by the shape
// alone (Eigen's sums depend on the GEMM's size).
int64_t forward_tile_rows(int64_t OH, int64_t OW, int64_t planes) {
  int64_t tile_rows = std::max<int64_t>(1, std::min(OH, kForwardTileColumns / OW));
  if (planes * ((OH + tile_rows - 1) / tile_rows) < kMinForwardUnits)
    tile_rows = std::max<int64_t>(1, OH * planes / kMinForwardUnits);
  return tile_rows;
}

// Fixed by the shape alone, so sums do not depend on the threads.
int64_t backward_chunk(int64_t N, int64_t OHW) {
  const int64_t by_columns = std::max<int64_t>(1, kBackwardChunkColumns / OHW);
  const int64_t by_count = (N + kMinBackwardChunks - 1) / kMinBackwardChunks;
  return std::max<int64_t>(1, std::min({N, by_columns, by_count}));
}

void add_partials(float* dweight, const float* partial, int64_t chunks, int64_t weight_size) {
  parallel_for(weight_size, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t c = 0; c < chunks; ++c) {
      const float* p = partial + c * weight_size;
      for (int64_t i = begin; i < end; ++i) dweight[i] += p[i];
    }
  });
}

// ---- which kernel runs --------------------------------------------------------------------
namespace {

// The forward of every 3x3 convolution at stride 1 or 2 runs direct, and the input gradient at
// stride 1 (at stride 2 it is a transposed convolution: col2im); the weight gradient only with
// few output channels on wide maps (with more, the GEMM's sums over whole planes are faster than
// the direct kernel's registers of taps).
bool use_direct(const ConvGeometry& conv) {
  return conv.groups == 1 && (conv.stride == 1 || conv.stride == 2) && conv.dilation == 1 &&
         conv.KH == 3 && conv.KW == 3 && conv.pad <= 2;
}
bool use_direct_input_gradient(const ConvGeometry& conv) { return use_direct(conv) && conv.stride == 1; }
bool use_direct_weight_gradient(const ConvGeometry& conv) {
  return use_direct_input_gradient(conv) && conv.OW >= 32 && conv.OC <= 16;
}

// dbias (OC) += sum over n, oh, ow of dout. One unit per channel, samples in order.
void conv2d_backward_bias(float* dbias, const float* dout, const ConvGeometry& conv) {
  parallel_for(conv.OC, 8, [&](int64_t begin, int64_t end) {
    for (int64_t oc = begin; oc < end; ++oc) {
      double s = 0;
      for (int64_t n = 0; n < conv.N; ++n) {
        const float* p = dout + (n * conv.OC + oc) * conv.OHW();
        s += sum_terms(conv.OHW(), [p](int64_t i) { return double(p[i]); });
      }
      dbias[oc] += float(s);
    }
  });
}

}  // namespace

void conv2d_forward(float* out, const float* x, const float* weight, const float* bias,
                    const Shape& x_shape, const Shape& weight_shape, Conv2dOptions opt) {
  const ConvGeometry conv = make_geometry(x_shape, weight_shape, opt);
  if (conv.depthwise())
    conv2d_forward_depthwise(out, x, weight, bias, conv);
  else if (use_direct(conv))
    conv2d_forward_direct(out, x, weight, bias, conv);
  else
    conv2d_forward_gemm(out, x, weight, bias, conv);
}

void conv2d_backward(float* dx, float* dweight, float* dbias, const float* dout, const float* x,
                     const float* weight, const Shape& x_shape, const Shape& weight_shape,
                     Conv2dOptions opt) {
  const ConvGeometry conv = make_geometry(x_shape, weight_shape, opt);
  if (dbias) conv2d_backward_bias(dbias, dout, conv);
  if (!dx && !dweight) return;
  if (conv.depthwise()) {
    conv2d_backward_depthwise(dx, dweight, dout, x, weight, conv);
  } else if (use_direct_input_gradient(conv)) {
    const bool direct_dweight = use_direct_weight_gradient(conv);
    conv2d_backward_direct(dx, direct_dweight ? dweight : nullptr, dout, x, weight, conv);
    if (dweight && !direct_dweight) conv2d_backward_gemm(nullptr, dweight, dout, x, weight, conv);
  } else {
    conv2d_backward_gemm(dx, dweight, dout, x, weight, conv);
  }
}

// ---- scalar reference ---------------------------------------------------------------------
namespace ref {
namespace {

// Calls fn(n, oc, oh, ow, c, ci, kh, kw, ih, iw) for every product term of the convolution: input
// channel c (ci within its group) at (ih, iw).
template <class Fn>
void for_each_term(const ConvGeometry& conv, Fn&& fn) {
  for (int64_t n = 0; n < conv.N; ++n)
    for (int64_t oc = 0; oc < conv.OC; ++oc)
      for (int64_t oh = 0; oh < conv.OH; ++oh)
        for (int64_t ow = 0; ow < conv.OW; ++ow)
          for (int64_t ci = 0; ci < conv.Cg; ++ci)
            for (int64_t kh = 0; kh < conv.KH; ++kh)
              for (int64_t kw = 0; kw < conv.KW; ++kw) {
                int64_t ih = oh * conv.stride - conv.pad + kh * conv.dilation;
                int64_t iw = ow * conv.stride - conv.pad + kw * conv.dilation;
                if (ih < 0 || ih >= conv.H || iw < 0 || iw >= conv.W) continue;
                fn(n, oc, oh, ow, (oc / conv.OCg) * conv.Cg + ci, ci, kh, kw, ih, iw);
              }
}

}  // namespace

void conv2d_forward(const Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias,
                    Conv2dOptions opt) {
  const ConvGeometry conv = make_geometry(x.shape(), weight.shape(), opt);
  expect_shape("ref::conv2d_forward", "out", out, {conv.N, conv.OC, conv.OH, conv.OW});
  std::vector<double> acc(size_t(conv.N * conv.OC * conv.OHW()), 0.0);
  for_each_term(conv, [&](int64_t n, int64_t oc, int64_t oh, int64_t ow, int64_t c, int64_t ci,
                          int64_t kh, int64_t kw, int64_t ih, int64_t iw) {
    acc[size_t(((n * conv.OC + oc) * conv.OH + oh) * conv.OW + ow)] +=
        double(x.data()[((n * conv.C + c) * conv.H + ih) * conv.W + iw]) *
        double(weight.data()[((oc * conv.Cg + ci) * conv.KH + kh) * conv.KW + kw]);
  });
  for (size_t i = 0; i < acc.size(); ++i)
    out.data()[i] =
        float(acc[i] + (bias.defined() ? bias.data()[int64_t(i) / conv.OHW() % conv.OC] : 0.0));
}

void conv2d_backward(const Tensor& dx, const Tensor& dweight, const Tensor& dbias,
                     const Tensor& dout, const Tensor& x, const Tensor& weight, Conv2dOptions opt) {
  const ConvGeometry conv = make_geometry(x.shape(), weight.shape(), opt);
  const char* name = "ref::conv2d_backward";
  expect_shape(name, "dout", dout, {conv.N, conv.OC, conv.OH, conv.OW});
  if (dx.defined()) expect_shape(name, "dx", dx, x.shape());
  if (dweight.defined()) expect_shape(name, "dweight", dweight, weight.shape());
  if (dbias.defined()) expect_shape(name, "dbias", dbias, {conv.OC});
  std::vector<double> dx_sum(size_t(x.numel()), 0.0), dweight_sum(size_t(weight.numel()), 0.0),
      dbias_sum(size_t(conv.OC), 0.0);
  for_each_term(conv, [&](int64_t n, int64_t oc, int64_t oh, int64_t ow, int64_t c, int64_t ci,
                          int64_t kh, int64_t kw, int64_t ih, int64_t iw) {
    double dout_value = dout.data()[((n * conv.OC + oc) * conv.OH + oh) * conv.OW + ow];
    int64_t xi = ((n * conv.C + c) * conv.H + ih) * conv.W + iw;
    int64_t wi = ((oc * conv.Cg + ci) * conv.KH + kh) * conv.KW + kw;
    dx_sum[size_t(xi)] += dout_value * weight.data()[wi];
    dweight_sum[size_t(wi)] += dout_value * x.data()[xi];
  });
  for (int64_t i = 0; i < dout.numel(); ++i) dbias_sum[size_t(i / conv.OHW() % conv.OC)] += dout.data()[i];
  auto add_into = [](const Tensor& t, const std::vector<double>& v) {
    if (t.defined())
      for (size_t i = 0; i < v.size(); ++i) t.data()[i] += float(v[i]);
  };
  add_into(dx, dx_sum), add_into(dweight, dweight_sum), add_into(dbias, dbias_sum);
}

}  // namespace ref

// ---- autograd glue ------------------------------------------------------------------------
namespace {

void check_conv2d_args(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dOptions opt) {
  auto fail = [&](const std::string& why) {
    std::string msg = "conv2d: input " + x.shape().str() + ", weight " + weight.shape().str();
    if (bias.defined()) msg += ", bias " + bias.shape().str();
    throw Error(msg + ": " + why);
  };
  if (x.rank() != 4) fail("input must be (N,C,H,W)");
  if (weight.rank() != 4) fail("weight must be (OC, C/groups, KH, KW)");
  if (opt.stride < 1 || opt.dilation < 1 || opt.pad < 0 || opt.groups < 1)
    fail("needs stride >= 1, dilation >= 1, pad >= 0, groups >= 1 (got stride " +
         std::to_string(opt.stride) + ", pad " + std::to_string(opt.pad) + ", dilation " +
         std::to_string(opt.dilation) + ", groups " + std::to_string(opt.groups) + ")");
  const int64_t C = x.size(1), OC = weight.size(0);
  if (C % opt.groups != 0 || OC % opt.groups != 0)
    fail("groups " + std::to_string(opt.groups) + " does not divide input channels " +
         std::to_string(C) + " and output channels " + std::to_string(OC));
  if (weight.size(1) != C / opt.groups)
    fail("weight expects " + std::to_string(weight.size(1)) + " channels per group, input has " +
         std::to_string(C) + " channels in " + std::to_string(opt.groups) + " groups");
  if (weight.size(2) < 1 || weight.size(3) < 1) fail("empty kernel");
  for (int d = 0; d < 2; ++d) {
    const int64_t extent = int64_t(opt.dilation) * (weight.size(2 + d) - 1) + 1;
    if (extent > x.size(2 + d) + 2 * opt.pad)
      fail("kernel extent " + std::to_string(extent) + " exceeds the padded input " +
           std::to_string(x.size(2 + d) + 2 * opt.pad));
  }
  if (bias.defined() && (bias.rank() != 1 || bias.size(0) != OC))
    fail("bias must be (" + std::to_string(OC) + ")");
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dOptions opt) {
  check_conv2d_args(x, weight, bias, opt);
  const ConvGeometry conv = make_geometry(x.shape(), weight.shape(), opt);
  Tensor out = Tensor::empty({conv.N, conv.OC, conv.OH, conv.OW});
  conv2d_forward(out.data(), x.data(), weight.data(), bias.defined() ? bias.data() : nullptr,
                 x.shape(), weight.shape(), opt);
  if (should_record({x, weight, bias})) {
    record(out, "conv2d", {x, weight, bias}, [x, weight, bias, opt](const Tensor& out) {
      conv2d_backward(x.requires_grad() ? x.grad_data() : nullptr,
                      weight.requires_grad() ? weight.grad_data() : nullptr,
                      bias.defined() && bias.requires_grad() ? bias.grad_data() : nullptr,
                      out.grad_data(), x.data(), weight.data(), x.shape(), weight.shape(), opt);
    });
  }
  return out;
}

}  // namespace ulr
