// Internal to the conv2d files: what ops/conv.cpp (geometry, dispatch, reference, autograd glue),
// ops/conv_gemm.cpp, ops/conv_direct.cpp and ops/conv_depthwise.cpp share.
//
// Letters: N batch, C input channels, H, W input size, OC output channels, KH, KW kernel size,
// OH, OW output size, Cg and OCg channels per group (in, out), Hp and Wp a zero-padded input's
// size. Buffers are row-major: x (N,C,H,W), weight (OC,Cg,KH,KW), out (N,OC,OH,OW).
//
// Threads: every kernel splits its work into units fixed by the shapes alone (forward_tile_rows,
// backward_chunk), and sums of partial weight gradients are added in chunk order
// (add_partials), so results are bit-identical for any thread count.
#pragma once
#include <xsimd/xsimd.hpp>

#include <cstdint>

#include "engine/tensor.h"
#include "ops/ops.h"

namespace ulr {

using fbatch = xsimd::batch<float>;
constexpr int64_t kSimd = int64_t(fbatch::size);

// Everything the kernels need to know about one convolution (make_geometry in ops/conv.cpp).
struct ConvGeometry {
  int64_t N, C, H, W;    // input (N,C,H,W)
  int64_t OC, KH, KW;    // weight (OC, C/groups, KH, KW)
  int64_t OH, OW;        // output (N,OC,OH,OW)
  int64_t stride, pad, dilation, groups;
  int64_t Cg, OCg;       // channels per group, in and out
  int64_t patch_size() const { return Cg * KH * KW; }  // one im2col column: the GEMM's inner size
  int64_t HW() const { return H * W; }
  int64_t OHW() const { return OH * OW; }
  bool pointwise() const { return KH == 1 && KW == 1 && stride == 1 && pad == 0; }
  bool depthwise() const { return groups > 1 && Cg == 1; }
};

// Scratch floats from the caching allocator, returned at scope exit (no malloc in steady state).
struct Scratch {
  float* data;
  size_t bytes;
  explicit Scratch(int64_t n) : data(static_cast<float*>(allocate(size_t(n) * sizeof(float)))),
                                bytes(size_t(n) * sizeof(float)) {}
  ~Scratch() { deallocate(data, bytes); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

// ---- the work split (ops/conv.cpp) ----------------------------------------------------------

// Output rows per forward tile over `planes` output planes (OH, OW): whole planes up to 1024
// columns, smaller tiles when there would be fewer than 4 units.
int64_t forward_tile_rows(int64_t OH, int64_t OW, int64_t planes);
// Samples per backward chunk (one partial weight gradient per chunk).
int64_t backward_chunk(int64_t N, int64_t OHW);
// dweight (weight_size) += the chunks' partial weight gradients (chunks, weight_size), in chunk order.
void add_partials(float* dweight, const float* partial, int64_t chunks, int64_t weight_size);

// ---- the kernel families ----------------------------------------------------------------------
// Forward kernels overwrite out (N,OC,OH,OW); bias (OC) may be null. Backward kernels add into
// dx (N,C,H,W) and dweight (OC,Cg,KH,KW), either of which may be null (not wanted).

// im2col + Eigen GEMM (ops/conv_gemm.cpp): any convolution.
void conv2d_forward_gemm(float* out, const float* x, const float* weight, const float* bias,
                         const ConvGeometry& conv);
void conv2d_backward_gemm(float* dx, float* dweight, const float* dout, const float* x,
                          const float* weight, const ConvGeometry& conv);

// Direct xsimd kernels (ops/conv_direct.cpp): 3x3, groups 1, dilation 1, pad <= 2; the forward at
// stride 1 or 2, the backward at stride 1.
void conv2d_forward_direct(float* out, const float* x, const float* weight, const float* bias,
                           const ConvGeometry& conv);
void conv2d_backward_direct(float* dx, float* dweight, const float* dout, const float* x,
                            const float* weight, const ConvGeometry& conv);

// Depthwise xsimd kernels (ops/conv_depthwise.cpp): one input channel per group.
void conv2d_forward_depthwise(float* out, const float* x, const float* weight, const float* bias,
                              const ConvGeometry& conv);
void conv2d_backward_depthwise(float* dx, float* dweight, const float* dout, const float* x,
                               const float* weight, const ConvGeometry& conv);

}  // namespace ulr
