// 2-D convolution (cross-correlation, as PyTorch) with stride, zero padding, dilation and groups.
//
// Three kernels, chosen by shape:
//   - general: im2col + Eigen GEMM. Per sample and group, out (OCg, OH*OW) = W_g (OCg, Cg*KH*KW)
//     x cols (Cg*KH*KW, OH*OW). 1x1 / stride 1 / pad 0 skips im2col: x itself is the column matrix.
//   - depthwise (groups == C > 1, one input channel per group): a direct xsimd kernel, since
//     its GEMM would be a matrix-vector product per channel.
//   - direct (3x3): an xsimd kernel over zero-padded input rows for the forward (stride 1 and
//     2) and the stride-1 input gradient, with no im2col and no GEMM packing; the weight
//     gradient too when there are at most 16 output channels on maps at least 32 wide.
// Threads: work is split into units fixed by the shapes alone (a sample's group tile of output
// rows for the forward, smaller tiles for a batch of one; chunks of the batch for the backward);
// every GEMM inside a unit is single-threaded. The weight gradient is summed per chunk into its
// own buffer and the chunks are added in chunk order, so results are bit-identical for any
// thread count.
#include <Eigen/Core>
#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>

#include "engine/error.h"
#include "engine/parallel.h"
#include "ops/ops.h"
#include "ops/reference.h"
#include "ops/row_kernels.h"

namespace ulr {

using fbatch = xsimd::batch<float>;
constexpr int64_t kSimd = int64_t(fbatch::size);

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using ConstMatrixMap = Eigen::Map<const RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;

// Output columns (OH*OW) one forward unit covers at most; a unit is whole output rows. A
// forward has at least kMinForwardUnits units where the output has that many rows.
constexpr int64_t kMinForwardUnits = 4;
constexpr int64_t kForwardTileColumns = 1024;
// Output columns (samples x OH*OW) per backward chunk: one partial weight gradient per chunk.
// Chunks are smaller where that gives fewer than kMinBackwardChunks (an 8x8 map at batch 16
// would otherwise be one chunk, one thread).
constexpr int64_t kBackwardChunkColumns = 1024;
constexpr int64_t kMinBackwardChunks = 8;

// Output rows per forward tile for `planes` output planes (OH, OW): whole planes up to
// kForwardTileColumns, smaller tiles when there are fewer than kMinForwardUnits (batch 1 at
// ULR size), so that the threads share the work. Fixed by the shape alone (Eigen's sums depend
// on the GEMM's size).
static int64_t forward_tile_rows(int64_t OH, int64_t OW, int64_t planes) {
  int64_t tile_rows = std::max<int64_t>(1, std::min(OH, kForwardTileColumns / OW));
  if (planes * ((OH + tile_rows - 1) / tile_rows) < kMinForwardUnits)
    tile_rows = std::max<int64_t>(1, OH * planes / kMinForwardUnits);
  return tile_rows;
}

// dweight += the chunks' partial weight gradients (chunks, wsize), in chunk order.
static void add_partials(float* dweight, const float* partial, int64_t chunks, int64_t wsize) {
  parallel_for(wsize, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t c = 0; c < chunks; ++c) {
      const float* p = partial + c * wsize;
      for (int64_t i = begin; i < end; ++i) dweight[i] += p[i];
    }
  });
}

// Samples per backward chunk: fixed by the shape alone, so sums do not depend on the threads.
static int64_t backward_chunk(int64_t N, int64_t OHW) {
  const int64_t by_columns = std::max<int64_t>(1, kBackwardChunkColumns / OHW);
  const int64_t by_count = (N + kMinBackwardChunks - 1) / kMinBackwardChunks;
  return std::max<int64_t>(1, std::min({N, by_columns, by_count}));
}

// Everything the kernels need to know about one convolution.
struct ConvGeometry {
  int64_t N, C, H, W;    // input (N,C,H,W)
  int64_t OC, KH, KW;    // weight (OC, C/groups, KH, KW)
  int64_t OH, OW;        // output (N,OC,OH,OW)
  int64_t stride, pad, dilation, groups;
  int64_t Cg, OCg;       // channels per group, in and out
  int64_t K() const { return Cg * KH * KW; }  // GEMM inner size: one column of im2col
  int64_t HW() const { return H * W; }
  int64_t OHW() const { return OH * OW; }
  bool pointwise() const { return KH == 1 && KW == 1 && stride == 1 && pad == 0; }
  bool depthwise() const { return groups > 1 && Cg == 1; }
};

static ConvGeometry make_geometry(const Shape& xs, const Shape& ws, Conv2dOptions opt) {
  ConvGeometry g;
  g.N = xs[0], g.C = xs[1], g.H = xs[2], g.W = xs[3];
  g.OC = ws[0], g.KH = ws[2], g.KW = ws[3];
  g.stride = opt.stride, g.pad = opt.pad, g.dilation = opt.dilation, g.groups = opt.groups;
  g.Cg = g.C / g.groups, g.OCg = g.OC / g.groups;
  g.OH = (g.H + 2 * g.pad - g.dilation * (g.KH - 1) - 1) / g.stride + 1;
  g.OW = (g.W + 2 * g.pad - g.dilation * (g.KW - 1) - 1) / g.stride + 1;
  return g;
}

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

// Output columns ow in [lo, hi) read input column ow*stride + offset inside [0, W).
static void valid_columns(int64_t offset, const ConvGeometry& g, int64_t& lo, int64_t& hi) {
  lo = offset >= 0 ? 0 : (-offset + g.stride - 1) / g.stride;
  hi = g.W - 1 - offset < 0 ? 0 : std::min(g.OW, (g.W - 1 - offset) / g.stride + 1);
  lo = std::min(lo, g.OW);
  hi = std::max(hi, lo);
}

// dst[0, n) <- src[i] inside [lo, hi), zero outside. Rows are short (OW is 8..64): inline SIMD
// with an overlapping last block instead of a scalar tail or calls to memcpy.
static inline void copy_row(float* dst, const float* src, int64_t lo, int64_t hi, int64_t n) {
  for (int64_t i = 0; i < lo; ++i) dst[i] = 0.0f;
  if (hi - lo >= kSimd) {
    for (int64_t i = lo; i + kSimd < hi; i += kSimd)
      fbatch::load_unaligned(src + i).store_unaligned(dst + i);
    fbatch::load_unaligned(src + hi - kSimd).store_unaligned(dst + hi - kSimd);
  } else {
    for (int64_t i = lo; i < hi; ++i) dst[i] = src[i];
  }
  for (int64_t i = hi; i < n; ++i) dst[i] = 0.0f;
}

// cols (K, (oh1-oh0)*OW), row stride ld <- one group of one sample, x (Cg,H,W), output rows
// [oh0, oh1). Row r = (c*KH + kh)*KW + kw; positions in the padding read zero.
static void im2col(float* cols, int64_t ld, const float* x, const ConvGeometry& g, int64_t oh0,
                   int64_t oh1) {
  const int64_t OW = g.OW, W = g.W, H = g.H, s = g.stride;
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      // Output rows whose input row oh*s - pad + kh*d lies inside [0, H): [oh_lo, oh_hi).
      const int64_t first = kh * g.dilation - g.pad;
      const int64_t oh_lo = std::clamp<int64_t>(first >= 0 ? 0 : (-first + s - 1) / s, oh0, oh1);
      const int64_t oh_hi =
          std::clamp<int64_t>(H - 1 - first < 0 ? 0 : (H - 1 - first) / s + 1, oh_lo, oh1);
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        float* row = cols + ((c * g.KH + kh) * g.KW + kw) * ld;
        const int64_t offset = kw * g.dilation - g.pad;
        int64_t lo, hi;
        valid_columns(offset, g, lo, hi);
        std::fill(row, row + (oh_lo - oh0) * OW, 0.0f);
        std::fill(row + (oh_hi - oh0) * OW, row + (oh1 - oh0) * OW, 0.0f);
        float* dst = row + (oh_lo - oh0) * OW;
        const float* src = x + c * g.HW() + (oh_lo * s + first) * W + offset;
        if (s == 1) {
          for (int64_t oh = oh_lo; oh < oh_hi; ++oh, dst += OW, src += W) copy_row(dst, src, lo, hi, OW);
        } else {
          for (int64_t oh = oh_lo; oh < oh_hi; ++oh, dst += OW, src += s * W) {
            std::fill(dst, dst + lo, 0.0f);
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * s];
            std::fill(dst + hi, dst + OW, 0.0f);
          }
        }
      }
    }
}

// dx (Cg,H,W) += col2im(dcols), the adjoint of im2col over all output rows.
static void col2im_add(float* dx, const float* dcols, const ConvGeometry& g) {
  const int64_t ld = g.OHW(), OW = g.OW, W = g.W, H = g.H, s = g.stride;
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      const int64_t first = kh * g.dilation - g.pad;
      const int64_t oh_lo = std::min(g.OH, first >= 0 ? 0 : (-first + s - 1) / s);
      const int64_t oh_hi =
          std::clamp<int64_t>(H - 1 - first < 0 ? 0 : (H - 1 - first) / s + 1, oh_lo, g.OH);
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const int64_t offset = kw * g.dilation - g.pad;
        int64_t lo, hi;
        valid_columns(offset, g, lo, hi);
        const float* src = dcols + ((c * g.KH + kh) * g.KW + kw) * ld + oh_lo * OW;
        float* dst = dx + c * g.HW() + (oh_lo * s + first) * W + offset;
        for (int64_t oh = oh_lo; oh < oh_hi; ++oh, src += OW, dst += s * W) {
          if (s == 1) {
            int64_t ow = lo;
            for (; ow + kSimd <= hi; ow += kSimd)
              (fbatch::load_unaligned(dst + ow) + fbatch::load_unaligned(src + ow)).store_unaligned(dst + ow);
            for (; ow < hi; ++ow) dst[ow] += src[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow * s] += src[ow];
          }
        }
      }
    }
}

// ---- forward kernels ----------------------------------------------------------------------

// GEMM path. One unit = (sample, group, tile of output rows).
static void conv2d_forward_gemm(float* out, const float* x, const float* weight, const float* bias,
                                const ConvGeometry& g) {
  const int64_t K = g.K(), OHW = g.OHW();
  const int64_t tile_rows = forward_tile_rows(g.OH, g.OW, g.N * g.groups);
  const int64_t tiles = (g.OH + tile_rows - 1) / tile_rows;
  const int64_t units = g.N * g.groups * tiles;
  parallel_for(units, 1, [&](int64_t begin, int64_t end) {
    for (int64_t u = begin; u < end; ++u) {
      const int64_t n = u / (g.groups * tiles), gi = (u / tiles) % g.groups, t = u % tiles;
      const int64_t oh0 = t * tile_rows, oh1 = std::min(g.OH, oh0 + tile_rows);
      const int64_t cols_n = (oh1 - oh0) * g.OW;
      const float* xg = x + (n * g.C + gi * g.Cg) * g.HW();
      float* og = out + (n * g.OC + gi * g.OCg) * OHW + oh0 * g.OW;  // (OCg, cols_n), ld OHW
      for (int64_t oc = 0; oc < g.OCg; ++oc)
        std::fill(og + oc * OHW, og + oc * OHW + cols_n, bias ? bias[gi * g.OCg + oc] : 0.0f);
      MatrixMap o(og, g.OCg, cols_n, Eigen::OuterStride<>(OHW));
      ConstMatrixMap w(weight + gi * g.OCg * K, g.OCg, K, Eigen::OuterStride<>(K));
      if (g.pointwise()) {
        ConstMatrixMap cols(xg + oh0 * g.OW, K, cols_n, Eigen::OuterStride<>(g.HW()));
        o.noalias() += w * cols;
      } else {
        Scratch cols_buf(K * cols_n);
        im2col(cols_buf.data, cols_n, xg, g, oh0, oh1);
        ConstMatrixMap cols(cols_buf.data, K, cols_n, Eigen::OuterStride<>(cols_n));
        o.noalias() += w * cols;
      }
    }
  });
}

// One plane of a depthwise correlation: out (OH,OW) += sum_kh,kw w[kh,kw] *
// in[oh*stride + kh*dilation, ow*stride + kw*dilation] over a zero-padded input plane of row
// length Wp. The forward runs it over padded x; the stride-1 input gradient over padded dout
// with the kernel flipped.
struct PlaneConv {
  int64_t OH, OW, Wp, KH, KW, stride, dilation;
};

// Stride 1 runs SIMD along ow. KH_, KW_ > 0 fix the kernel size at compile time (3x3, the
// common case, unrolls fully); 0 reads it from pc.
template <int KH_, int KW_>
static void plane_correlate(float* out, const float* in, const float* w, const PlaneConv& pc) {
  const int64_t KH = KH_ ? KH_ : pc.KH, KW = KW_ ? KW_ : pc.KW, s = pc.stride, d = pc.dilation;
  for (int64_t oh = 0; oh < pc.OH; ++oh) {
    float* o = out + oh * pc.OW;
    int64_t ow = 0;
    if (s == 1) {
      for (; ow + kSimd <= pc.OW; ow += kSimd) {
        fbatch acc = fbatch::load_unaligned(o + ow);
        for (int64_t kh = 0; kh < KH; ++kh) {
          const float* row = in + (oh + kh * d) * pc.Wp + ow;
          for (int64_t kw = 0; kw < KW; ++kw)
            acc = xsimd::fma(fbatch::load_unaligned(row + kw * d), fbatch(w[kh * KW + kw]), acc);
        }
        acc.store_unaligned(o + ow);
      }
    }
    for (; ow < pc.OW; ++ow) {
      float acc = o[ow];
      for (int64_t kh = 0; kh < KH; ++kh) {
        const float* row = in + (oh * s + kh * d) * pc.Wp + ow * s;
        for (int64_t kw = 0; kw < KW; ++kw) acc = std::fma(row[kw * d], w[kh * KW + kw], acc);
      }
      o[ow] = acc;
    }
  }
}

static void plane_correlate_any(float* out, const float* in, const float* w, const PlaneConv& pc) {
  if (pc.KH == 3 && pc.KW == 3)
    plane_correlate<3, 3>(out, in, w, pc);
  else
    plane_correlate<0, 0>(out, in, w, pc);
}

// dst (Hd,Wd) <- src (Hs,Ws) placed with its (0,0) at (top, left), zeros elsewhere. top and left
// may be negative (src rows or columns cut off).
static void place_plane(float* dst, int64_t Hd, int64_t Wd, const float* src, int64_t Hs,
                        int64_t Ws, int64_t top, int64_t left) {
  std::fill(dst, dst + Hd * Wd, 0.0f);
  const int64_t c0 = std::max<int64_t>(left, 0), c1 = std::min(Wd, Ws + left);
  for (int64_t r = std::max<int64_t>(top, 0); r < std::min(Hd, Hs + top); ++r)
    if (c1 > c0)
      std::memcpy(dst + r * Wd + c0, src + (r - top) * Ws + (c0 - left), size_t(c1 - c0) * sizeof(float));
}

// Depthwise path. One unit = one (sample, output channel) plane.
static void conv2d_forward_depthwise(float* out, const float* x, const float* weight,
                                     const float* bias, const ConvGeometry& g) {
  const int64_t Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad, KK = g.KH * g.KW;
  const PlaneConv pc{g.OH, g.OW, Wp, g.KH, g.KW, g.stride, g.dilation};
  parallel_for(g.N * g.OC, 4, [&](int64_t begin, int64_t end) {
    Scratch xp(Hp * Wp);
    int64_t padded = -1;  // which input plane xp holds
    for (int64_t p = begin; p < end; ++p) {
      const int64_t n = p / g.OC, oc = p % g.OC, c = oc / g.OCg, plane = n * g.C + c;
      if (plane != padded)
        place_plane(xp.data, Hp, Wp, x + plane * g.HW(), g.H, g.W, g.pad, g.pad), padded = plane;
      float* o = out + p * g.OHW();
      std::fill(o, o + g.OHW(), bias ? bias[oc] : 0.0f);
      plane_correlate_any(o, xp.data, weight + oc * KK, pc);
    }
  });
}

// ---- direct kernels (3x3, stride 1 and 2) ---------------------------------------------------
//
// im2col writes nine copies of the input and Eigen packs them again before its micro-kernel
// reads them; at these sizes that traffic, not the multiply-adds, bounds the GEMM path. These
// kernels read a zero-padded copy of the input rows (a window; at stride 2 split into even and
// odd columns, so that every tap still reads contiguous floats) and keep a block of up to
// kDirectBlock output channels x two SIMD vectors of output pixels in registers: each input
// load feeds that many multiply-adds. With more outputs than one block, the inputs under each
// pair of vectors are first packed into a strip (9 x input channels rows, aligned) that every
// block then reads. The forward and the input gradient (a correlation of the padded output
// gradient with the flipped, transposed kernel) share these kernels. The weight gradient keeps
// a block's 3x3 taps in registers over a whole plane; it beats the GEMM only with few output
// channels on wide maps (G's 16->3 output, S's 3->16 stem and 16->16 fuse). Each output sums
// its terms in a fixed order (input channel, kh, kw), so tiling and thread count leave results
// unchanged.

constexpr int64_t kDirectBlock = 6;      // output channels per register block (correlation)
constexpr int64_t kDirectGradBlock = 4;  // output channels per register block (weight gradient)
// Input channels of a packed strip that every block reads before the next ones: 24 x 9 rows of
// two vectors (13.5 KiB with AVX2) stay in L1 across the blocks.
constexpr int64_t kStripChannels = 24;

// f(std::integral_constant<int, OB>) for a block of ob = 1..Max output channels (Max for more):
// one instance of f per block size the caller can produce.
template <int Max, class F>
static void with_block(int64_t ob, F&& f) {
  if constexpr (Max > 1)
    if (ob < Max) return with_block<Max - 1>(ob, f);
  f(std::integral_constant<int, Max>());
}

// The forward of every 3x3 convolution at stride 1 or 2 runs direct, and the input gradient at
// stride 1 (at stride 2 it is a transposed convolution: col2im); the weight gradient only with
// few output channels on wide maps (with more, the GEMM's sums over whole planes are faster than
// the direct kernel's registers of taps).
static bool use_direct(const ConvGeometry& g) {
  return g.groups == 1 && (g.stride == 1 || g.stride == 2) && g.dilation == 1 && g.KH == 3 &&
         g.KW == 3 && g.pad <= 2;
}
static bool use_direct_input_gradient(const ConvGeometry& g) { return use_direct(g) && g.stride == 1; }
static bool use_direct_weight_gradient(const ConvGeometry& g) {
  return use_direct_input_gradient(g) && g.OW >= 32 && g.OC <= 16;
}

// f(o0, ob) for the blocks of output channels [o0, o0 + ob) that split NO outputs into as few
// blocks of at most kDirectBlock as possible, of sizes that differ by at most one (32 -> 6, 6,
// 5, 5, 5, 5 rather than five 6s and a 2, whose registers would sit mostly idle).
template <class F>
static void for_each_block(int64_t NO, F&& f) {
  const int64_t blocks = (NO + kDirectBlock - 1) / kDirectBlock;
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t o0 = NO * b / blocks;
    f(o0, NO * (b + 1) / blocks - o0);
  }
}

// wr <- the kernel as the direct correlation reads it: outputs in for_each_block's blocks, per
// block [in][kh][kw][out in block]. tap(o, i, kh, kw) gives the weight.
template <class Tap>
static void pack_direct_weights(float* wr, int64_t NO, int64_t NI, Tap tap) {
  for_each_block(NO, [&](int64_t o0, int64_t ob) {
    float* w = wr + o0 * NI * 9;
    for (int64_t i = 0; i < NI; ++i)
      for (int64_t k = 0; k < 9; ++k)
        for (int64_t j = 0; j < ob; ++j) w[(i * 9 + k) * ob + j] = tap(o0 + j, i, k / 3, k % 3);
  });
}

// dst (NI, rows, Wp) <- rows [row0, row0 + rows) of src (NI, H, W), shifted right by left,
// zeros where src has no row or column.
static void pad_rows(float* dst, const float* src, int64_t NI, int64_t H, int64_t W, int64_t row0,
                     int64_t rows, int64_t left, int64_t Wp) {
  for (int64_t i = 0; i < NI; ++i)
    for (int64_t r = 0; r < rows; ++r) {
      float* d = dst + (i * rows + r) * Wp;
      const int64_t h = row0 + r;
      if (h < 0 || h >= H) {
        std::fill(d, d + Wp, 0.0f);
        continue;
      }
      std::fill(d, d + left, 0.0f);
      std::memcpy(d + left, src + (i * H + h) * W, size_t(W) * sizeof(float));
      std::fill(d + left + W, d + Wp, 0.0f);
    }
}

// The zero-padded input rows a tile of `out_rows` output rows reads, for stride s = 1 or 2. A
// window row holds s phases of Wq floats: padded column col sits at (col % s) * Wq + col / s, so
// that tap kw of the output vector at ow reads Wq-contiguous floats from phase kw % s at
// ow + kw / s (stride 2 splits even and odd columns). tap[kh * 3 + kw] is that offset plus the
// tap's row; output row r starts at window row r * s.
struct Window {
  int64_t s, Wq, row, rows, plane;
  int64_t tap[9];
  Window(int64_t out_rows, int64_t OW, int64_t stride)
      : s(stride), Wq(OW - 1 + (2 + stride) / stride), row(stride * Wq),
        rows((out_rows - 1) * stride + 3), plane(rows * row) {
    for (int64_t kh = 0; kh < 3; ++kh)
      for (int64_t kw = 0; kw < 3; ++kw) tap[kh * 3 + kw] = kh * row + (kw % s) * Wq + kw / s;
  }
  int64_t at(int64_t r, int64_t ow) const { return r * s * row + ow; }  // output pixel (r, ow)
};

// dst (NI, win.rows, win.row) <- rows [row0, row0 + win.rows) of src (NI, H, W) shifted right by
// left, zeros where src has no row or column, in win's phase layout.
static void fill_window(float* dst, const float* src, int64_t NI, int64_t H, int64_t W, int64_t row0,
                        int64_t left, const Window& win) {
  if (win.s == 1) return pad_rows(dst, src, NI, H, W, row0, win.rows, left, win.row);
  // stride 2: even padded columns to phase 0, odd ones to phase 1
  const int64_t w1 = std::min(W, win.row - left);  // input columns that land in the window
  for (int64_t i = 0; i < NI; ++i)
    for (int64_t r = 0; r < win.rows; ++r) {
      float* d = dst + i * win.plane + r * win.row;
      const int64_t h = row0 + r;
      std::fill(d, d + win.row, 0.0f);
      if (h < 0 || h >= H) continue;
      const float* in = src + (i * H + h) * W;
      for (int64_t w = 0; w < w1; ++w) {
        const int64_t col = w + left;
        d[(col & 1) * win.Wq + (col >> 1)] = in[w];
      }
    }
}

// strip (NI*9, VB*kSimd) <- the window's inputs under VB SIMD vectors of output pixels, vector
// v reading the window from offset io[v]; row k = i*9 + kh*3 + kw. Packed once, the strip feeds
// every block of output channels from aligned loads.
template <int VB>
static void pack_strip(float* strip, const float* in, const int64_t* io, int64_t NI, const Window& win) {
  for (int64_t i = 0; i < NI; ++i) {
    const float* p = in + i * win.plane;
    for (int t = 0; t < 9; ++t, strip += VB * kSimd)
      for (int v = 0; v < VB; ++v) fbatch::load_unaligned(p + io[v] + win.tap[t]).store_aligned(strip + v * kSimd);
  }
}

// One register block: out[j][oo[v] + lane] += sum_i,kh,kw in[i][kh][kw][v][lane] * w[i][kh][kw][j]
// for OB output channels (plane stride ops) x VB vectors, in the order (i, kh, kw). Packed
// reads the inputs from a strip (pack_strip); otherwise straight from the window, vector v at
// offset io[v].
template <int OB, int VB, bool Packed>
static inline void correlate_block(float* out, int64_t ops, const int64_t* oo, const float* in,
                                   const int64_t* io, int64_t NI, const Window& win, const float* w) {
  fbatch acc[OB][VB];
  for (int j = 0; j < OB; ++j)
    for (int v = 0; v < VB; ++v) acc[j][v] = fbatch::load_unaligned(out + j * ops + oo[v]);
  for (int64_t i = 0; i < NI; ++i)
    for (int t = 0; t < 9; ++t, w += OB) {
      fbatch x[VB];
      for (int v = 0; v < VB; ++v) {
        if constexpr (Packed)
          x[v] = fbatch::load_aligned(in + ((i * 9 + t) * VB + v) * kSimd);
        else
          x[v] = fbatch::load_unaligned(in + i * win.plane + io[v] + win.tap[t]);
      }
      for (int j = 0; j < OB; ++j) {
        const fbatch wv(w[j]);
        for (int v = 0; v < VB; ++v) acc[j][v] = xsimd::fma(x[v], wv, acc[j][v]);
      }
    }
  for (int j = 0; j < OB; ++j)
    for (int v = 0; v < VB; ++v) acc[j][v].store_unaligned(out + j * ops + oo[v]);
}

// out (NO planes of stride ops, rows x OW) += sum_i,kh,kw in[i][r * s + kh][ow * s + kw] *
// w[i][kh][kw][o]; in (NI, win) from fill_window, w packed by pack_direct_weights. The SIMD
// vectors of every output row (OW / kSimd of them) are taken two at a time in row-major order,
// so a pair may span two rows of a narrow map (8 wide). With more outputs than one block each
// pair's strip is packed once and read by every block, kStripChannels input channels at a time;
// one block reads the window itself. Columns past a row's last whole vector run scalar.
static void direct_correlate(float* out, int64_t ops, int64_t NO, int64_t rows, int64_t OW,
                             const float* in, int64_t NI, const Window& win, const float* wr,
                             float* strip) {
  constexpr int VB = 2;
  const int64_t per_row = OW / kSimd, vectors = rows * per_row, K = NI * 9;
  const bool packed = NO > kDirectBlock;
  int64_t oo[VB], io[VB];
  auto run = [&](auto vb) {
    constexpr int V = decltype(vb)::value;
    if (!packed) {
      for_each_block(NO, [&](int64_t o0, int64_t ob) {
        with_block<kDirectBlock>(ob, [&](auto OB) {
          correlate_block<OB, V, false>(out + o0 * ops, ops, oo, in, io, NI, win, wr + o0 * K);
        });
      });
      return;
    }
    pack_strip<V>(strip, in, io, NI, win);
    for (int64_t i0 = 0; i0 < NI; i0 += kStripChannels) {
      const int64_t ni = std::min(kStripChannels, NI - i0);
      for_each_block(NO, [&](int64_t o0, int64_t ob) {
        with_block<kDirectBlock>(ob, [&](auto OB) {
          correlate_block<OB, V, true>(out + o0 * ops, ops, oo, strip + i0 * 9 * V * kSimd, io, ni, win,
                                       wr + o0 * K + i0 * 9 * OB);
        });
      });
    }
  };
  for (int64_t b = 0; b < vectors; b += VB) {
    const int nv = int(std::min<int64_t>(VB, vectors - b));
    for (int v = 0; v < nv; ++v) {
      const int64_t r = (b + v) / per_row, ow = ((b + v) % per_row) * kSimd;
      oo[v] = r * OW + ow, io[v] = win.at(r, ow);
    }
    if (nv == VB)
      run(std::integral_constant<int, VB>());
    else
      run(std::integral_constant<int, 1>());
  }
  for_each_block(NO, [&](int64_t o0, int64_t ob) {
    const float* w = wr + o0 * K;
    for (int64_t j = 0; j < ob; ++j)
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t ow = per_row * kSimd; ow < OW; ++ow) {
          float acc = out[(o0 + j) * ops + r * OW + ow];
          for (int64_t i = 0; i < NI; ++i)
            for (int t = 0; t < 9; ++t)
              acc = std::fma(in[i * win.plane + win.at(r, ow) + win.tap[t]], w[(i * 9 + t) * ob + j], acc);
          out[(o0 + j) * ops + r * OW + ow] = acc;
        }
  });
}

// out (N, NO, OH, OW) += the correlation, at stride s, of src (N, NI, H, W) padded by pad_top /
// pad_left (rows and columns outside src read zero) with the packed kernel wr. One unit = a
// sample's tile of output rows, tiled as the GEMM forward tiles.
static void direct_planes(float* out, int64_t N, int64_t NO, int64_t OH, int64_t OW,
                          const float* src, int64_t NI, int64_t H, int64_t W, int64_t s,
                          int64_t pad_top, int64_t pad_left, const float* wr) {
  const int64_t tile_rows = forward_tile_rows(OH, OW, N);
  const int64_t tiles = (OH + tile_rows - 1) / tile_rows;
  parallel_for(N * tiles, 1, [&](int64_t begin, int64_t end) {
    const Window full(tile_rows, OW, s);
    Scratch window(NI * full.plane), strip(NI * 9 * 2 * kSimd);
    for (int64_t u = begin; u < end; ++u) {
      const int64_t n = u / tiles, r0 = (u % tiles) * tile_rows, rows = std::min(tile_rows, OH - r0);
      const Window win(rows, OW, s);
      fill_window(window.data, src + n * NI * H * W, NI, H, W, r0 * s - pad_top, pad_left, win);
      direct_correlate(out + n * NO * OH * OW + r0 * OW, OH * OW, NO, rows, OW, window.data, NI, win, wr,
                       strip.data);
    }
  });
}

static void conv2d_forward_direct(float* out, const float* x, const float* weight, const float* bias,
                                  const ConvGeometry& g) {
  Scratch wr(g.OC * g.C * 9);
  pack_direct_weights(wr.data, g.OC, g.C, [&](int64_t o, int64_t i, int64_t kh, int64_t kw) {
    return weight[((o * g.C + i) * 3 + kh) * 3 + kw];
  });
  parallel_for(g.N * g.OC, 16, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p)
      std::fill(out + p * g.OHW(), out + (p + 1) * g.OHW(), bias ? bias[p % g.OC] : 0.0f);
  });
  direct_planes(out, g.N, g.OC, g.OH, g.OW, x, g.C, g.H, g.W, g.stride, g.pad, g.pad, wr.data);
}

// dw[j] (C, 3, 3) += sum over the plane of dout[j][p] * xp[c][p + (kh, kw)] for j < OB, one
// sample: dout (OB planes, stride OH*OW), xp (C, OH + 2, OW + 2). A block's nine taps of one
// input row stay in registers over the plane.
template <int OB>
static void direct_weight_gradient(float* dw, int64_t dws, const float* dout, int64_t OH, int64_t OW,
                                   const float* xp, int64_t C) {
  const int64_t Wp = OW + 2, xps = (OH + 2) * Wp, ops = OH * OW;
  for (int64_t c = 0; c < C; ++c)
    for (int kh = 0; kh < 3; ++kh) {
      fbatch acc[OB][3];
      float tail[OB][3] = {};
      for (int j = 0; j < OB; ++j)
        for (int kw = 0; kw < 3; ++kw) acc[j][kw] = fbatch(0.0f);
      for (int64_t oh = 0; oh < OH; ++oh) {
        const float* row = xp + c * xps + (oh + kh) * Wp;
        const float* go = dout + oh * OW;
        int64_t ow = 0;
        for (; ow + kSimd <= OW; ow += kSimd) {
          const fbatch x0 = fbatch::load_unaligned(row + ow), x1 = fbatch::load_unaligned(row + ow + 1),
                       x2 = fbatch::load_unaligned(row + ow + 2);
          for (int j = 0; j < OB; ++j) {
            const fbatch d = fbatch::load_unaligned(go + j * ops + ow);
            acc[j][0] = xsimd::fma(d, x0, acc[j][0]);
            acc[j][1] = xsimd::fma(d, x1, acc[j][1]);
            acc[j][2] = xsimd::fma(d, x2, acc[j][2]);
          }
        }
        for (; ow < OW; ++ow)
          for (int j = 0; j < OB; ++j)
            for (int kw = 0; kw < 3; ++kw) tail[j][kw] = std::fma(go[j * ops + ow], row[ow + kw], tail[j][kw]);
      }
      for (int j = 0; j < OB; ++j)
        for (int kw = 0; kw < 3; ++kw) dw[j * dws + (c * 3 + kh) * 3 + kw] += xsimd::hadd(acc[j][kw]) + tail[j][kw];
    }
}

// Input gradient: dx (N, C, H, W) += dout (N, OC, OH, OW) padded by 2 - pad, correlated with the
// flipped kernel transposed (OC in, C out). Weight gradient: per chunk of samples (as the GEMM
// backward chunks) into its own partial sum, the chunks added in order.
static void conv2d_backward_direct(float* dx, float* dweight, const float* dout, const float* x,
                                   const float* weight, const ConvGeometry& g) {
  if (dx) {
    Scratch wr(g.OC * g.C * 9);
    pack_direct_weights(wr.data, g.C, g.OC, [&](int64_t c, int64_t o, int64_t kh, int64_t kw) {
      return weight[((o * g.C + c) * 3 + 2 - kh) * 3 + 2 - kw];
    });
    const int64_t q = 2 - g.pad;
    direct_planes(dx, g.N, g.C, g.H, g.W, dout, g.OC, g.OH, g.OW, 1, q, q, wr.data);
  }
  if (!dweight) return;
  const int64_t OHW = g.OHW(), wsize = g.OC * g.C * 9, Hp = g.OH + 2, Wp = g.OW + 2;
  const int64_t chunk = backward_chunk(g.N, OHW);
  const int64_t chunks = (g.N + chunk - 1) / chunk;
  Scratch partial(chunks * wsize);
  parallel_for(g.N, chunk, [&](int64_t begin, int64_t end) {
    float* dw = partial.data + (begin / chunk) * wsize;
    std::fill(dw, dw + wsize, 0.0f);
    Scratch xp(g.C * Hp * Wp);
    for (int64_t n = begin; n < end; ++n) {
      pad_rows(xp.data, x + n * g.C * g.HW(), g.C, g.H, g.W, -g.pad, Hp, g.pad, Wp);
      for (int64_t o0 = 0; o0 < g.OC; o0 += kDirectGradBlock) {
        float* d = dw + o0 * g.C * 9;
        const float* go = dout + (n * g.OC + o0) * OHW;
        with_block<kDirectGradBlock>(std::min(kDirectGradBlock, g.OC - o0), [&](auto OB) {
          direct_weight_gradient<OB>(d, g.C * 9, go, g.OH, g.OW, xp.data, g.C);
        });
      }
    }
  });
  add_partials(dweight, partial.data, chunks, wsize);
}

void conv2d_forward(float* out, const float* x, const float* weight, const float* bias,
                    const Shape& x_shape, const Shape& weight_shape, Conv2dOptions opt) {
  ConvGeometry g = make_geometry(x_shape, weight_shape, opt);
  if (g.depthwise())
    conv2d_forward_depthwise(out, x, weight, bias, g);
  else if (use_direct(g))
    conv2d_forward_direct(out, x, weight, bias, g);
  else
    conv2d_forward_gemm(out, x, weight, bias, g);
}

// ---- backward kernels ---------------------------------------------------------------------

// db (OC) += sum over n, oh, ow of dout. One unit per channel, samples in order.
static void conv2d_backward_bias(float* dbias, const float* dout, const ConvGeometry& g) {
  parallel_for(g.OC, 8, [&](int64_t begin, int64_t end) {
    for (int64_t oc = begin; oc < end; ++oc) {
      double s = 0;
      for (int64_t n = 0; n < g.N; ++n) {
        const float* p = dout + (n * g.OC + oc) * g.OHW();
        s += sum_terms(g.OHW(), [p](int64_t i) { return double(p[i]); });
      }
      dbias[oc] += float(s);
    }
  });
}

// GEMM path. One unit = a chunk of samples; per sample and group:
//   dW_g (OCg, K) += dout_g (OCg, OHW) x cols^T (OHW, K)   into the chunk's partial sum
//   dcols (K, OHW) = W_g^T (K, OCg) x dout_g,  dx_g += col2im(dcols)
static void conv2d_backward_gemm(float* dx, float* dweight, const float* dout, const float* x,
                                 const float* weight, const ConvGeometry& g) {
  const int64_t K = g.K(), OHW = g.OHW(), wsize = g.OC * K;
  const int64_t chunk = backward_chunk(g.N, OHW);
  const int64_t chunks = (g.N + chunk - 1) / chunk;
  Scratch partial(dweight ? chunks * wsize : 1);  // (chunks, OC, K)
  parallel_for(g.N, chunk, [&](int64_t begin, int64_t end) {
    float* dw = dweight ? partial.data + (begin / chunk) * wsize : nullptr;
    if (dw) std::fill(dw, dw + wsize, 0.0f);
    Scratch cols_buf(g.pointwise() ? 1 : K * OHW);
    Scratch dcols_buf(g.pointwise() || !dx ? 1 : K * OHW);
    for (int64_t n = begin; n < end; ++n)
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        const float* xg = x + (n * g.C + gi * g.Cg) * g.HW();
        ConstMatrixMap dout_g(dout + (n * g.OC + gi * g.OCg) * OHW, g.OCg, OHW,
                              Eigen::OuterStride<>(OHW));
        ConstMatrixMap w(weight + gi * g.OCg * K, g.OCg, K, Eigen::OuterStride<>(K));
        if (dw) {
          const float* cols_ptr = xg;
          if (!g.pointwise()) {
            im2col(cols_buf.data, OHW, xg, g, 0, g.OH);
            cols_ptr = cols_buf.data;
          }
          ConstMatrixMap cols(cols_ptr, K, OHW, Eigen::OuterStride<>(OHW));
          MatrixMap dw_g(dw + gi * g.OCg * K, g.OCg, K, Eigen::OuterStride<>(K));
          dw_g.noalias() += dout_g * cols.transpose();
        }
        if (dx) {
          float* dxg = dx + (n * g.C + gi * g.Cg) * g.HW();
          if (g.pointwise()) {
            MatrixMap dx_g(dxg, K, OHW, Eigen::OuterStride<>(OHW));
            dx_g.noalias() += w.transpose() * dout_g;
          } else {
            MatrixMap dcols(dcols_buf.data, K, OHW, Eigen::OuterStride<>(OHW));
            dcols.noalias() = w.transpose() * dout_g;
            col2im_add(dxg, dcols_buf.data, g);
          }
        }
      }
  });
  if (!dweight) return;
  add_partials(dweight, partial.data, chunks, wsize);
}

// dw (KH,KW) += sum_oh,ow dout[oh,ow] * xp[oh*s + kh*d, ow*s + kw*d] for one plane. With
// stride 1 each SIMD block of dout feeds every tap while the per-tap sums stay in registers.
template <int KH_, int KW_>
static void plane_weight_gradient(float* dw, const float* dout, const float* xp,
                                  const PlaneConv& pc) {
  constexpr int kMaxTaps = 49;  // SIMD sums for kernels up to 7x7; larger ones run scalar
  const int64_t KH = KH_ ? KH_ : pc.KH, KW = KW_ ? KW_ : pc.KW, s = pc.stride, d = pc.dilation;
  if (s != 1 || KH * KW > kMaxTaps) {
    for (int64_t kh = 0; kh < KH; ++kh)
      for (int64_t kw = 0; kw < KW; ++kw) {
        float sum = 0.0f;
        for (int64_t oh = 0; oh < pc.OH; ++oh)
          for (int64_t ow = 0; ow < pc.OW; ++ow)
            sum = std::fma(dout[oh * pc.OW + ow], xp[(oh * s + kh * d) * pc.Wp + ow * s + kw * d], sum);
        dw[kh * KW + kw] += sum;
      }
    return;
  }
  fbatch acc[KH_ ? KH_ * KW_ : kMaxTaps];
  float tail[KH_ ? KH_ * KW_ : kMaxTaps];
  for (int64_t k = 0; k < KH * KW; ++k) acc[k] = fbatch(0.0f), tail[k] = 0.0f;
  for (int64_t oh = 0; oh < pc.OH; ++oh) {
    const float* go = dout + oh * pc.OW;
    int64_t ow = 0;
    for (; ow + kSimd <= pc.OW; ow += kSimd) {
      const fbatch gv = fbatch::load_unaligned(go + ow);
      for (int64_t kh = 0; kh < KH; ++kh) {
        const float* row = xp + (oh + kh * d) * pc.Wp + ow;
        for (int64_t kw = 0; kw < KW; ++kw)
          acc[kh * KW + kw] = xsimd::fma(gv, fbatch::load_unaligned(row + kw * d), acc[kh * KW + kw]);
      }
    }
    for (; ow < pc.OW; ++ow)
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = 0; kw < KW; ++kw)
          tail[kh * KW + kw] = std::fma(go[ow], xp[(oh + kh * d) * pc.Wp + ow + kw * d], tail[kh * KW + kw]);
  }
  for (int64_t k = 0; k < KH * KW; ++k) dw[k] += xsimd::hadd(acc[k]) + tail[k];
}

// dxp (padded plane) [oh*s + kh*d, ow*s + kw*d] += w[kh,kw] * dout[oh,ow]: the scatter form of
// the input gradient, used for stride > 1 (stride 1 uses the flipped-kernel correlation).
static void plane_scatter_input_gradient(float* dxp, const float* dout, const float* w,
                                         const PlaneConv& pc) {
  for (int64_t oh = 0; oh < pc.OH; ++oh)
    for (int64_t ow = 0; ow < pc.OW; ++ow) {
      const float go = dout[oh * pc.OW + ow];
      for (int64_t kh = 0; kh < pc.KH; ++kh)
        for (int64_t kw = 0; kw < pc.KW; ++kw) {
          float& t = dxp[(oh * pc.stride + kh * pc.dilation) * pc.Wp + ow * pc.stride + kw * pc.dilation];
          t = std::fma(go, w[kh * pc.KW + kw], t);
        }
    }
}

// Depthwise path. One unit = one input channel with its OCg output channels over all samples,
// samples in order: the weight gradient needs no partial buffers and dx planes are disjoint.
// With stride 1, dx (H,W) += correlation of dout padded by dilation*(K-1) - pad with the
// flipped kernel, which reads dout and writes each dx element once.
static void conv2d_backward_depthwise(float* dx, float* dweight, const float* dout, const float* x,
                                      const float* weight, const ConvGeometry& g) {
  const int64_t Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad, KK = g.KH * g.KW;
  const int64_t top = g.dilation * (g.KH - 1) - g.pad, left = g.dilation * (g.KW - 1) - g.pad;
  const int64_t Hq = g.H + g.dilation * (g.KH - 1), Wq = g.W + g.dilation * (g.KW - 1);
  const PlaneConv forward{g.OH, g.OW, Wp, g.KH, g.KW, g.stride, g.dilation};
  const PlaneConv transposed{g.H, g.W, Wq, g.KH, g.KW, 1, g.dilation};
  const bool gather = g.stride == 1;
  parallel_for(g.C, 1, [&](int64_t begin, int64_t end) {
    Scratch xp(Hp * Wp), dxp(gather ? Hq * Wq : Hp * Wp), dw(g.OCg * KK), flipped(KK);
    for (int64_t c = begin; c < end; ++c) {
      std::fill(dw.data, dw.data + g.OCg * KK, 0.0f);
      for (int64_t n = 0; n < g.N; ++n) {
        const int64_t plane = n * g.C + c;
        if (dweight) place_plane(xp.data, Hp, Wp, x + plane * g.HW(), g.H, g.W, g.pad, g.pad);
        if (dx && !gather) std::fill(dxp.data, dxp.data + Hp * Wp, 0.0f);
        for (int64_t j = 0; j < g.OCg; ++j) {
          const int64_t oc = c * g.OCg + j;
          const float* go = dout + (n * g.OC + oc) * g.OHW();
          const float* w = weight + oc * KK;
          if (dweight) {
            if (g.KH == 3 && g.KW == 3)
              plane_weight_gradient<3, 3>(dw.data + j * KK, go, xp.data, forward);
            else
              plane_weight_gradient<0, 0>(dw.data + j * KK, go, xp.data, forward);
          }
          if (dx && gather) {
            for (int64_t k = 0; k < KK; ++k) flipped.data[k] = w[KK - 1 - k];
            place_plane(dxp.data, Hq, Wq, go, g.OH, g.OW, top, left);
            plane_correlate_any(dx + plane * g.HW(), dxp.data, flipped.data, transposed);
          } else if (dx) {
            plane_scatter_input_gradient(dxp.data, go, w, forward);
          }
        }
        if (dx && !gather) {
          float* dxc = dx + plane * g.HW();
          for (int64_t h = 0; h < g.H; ++h)
            for (int64_t w = 0; w < g.W; ++w) dxc[h * g.W + w] += dxp.data[(h + g.pad) * Wp + g.pad + w];
        }
      }
      if (dweight)
        for (int64_t i = 0; i < g.OCg * KK; ++i) dweight[c * g.OCg * KK + i] += dw.data[i];
    }
  });
}

void conv2d_backward(float* dx, float* dweight, float* dbias, const float* dout, const float* x,
                     const float* weight, const Shape& x_shape, const Shape& weight_shape,
                     Conv2dOptions opt) {
  ConvGeometry g = make_geometry(x_shape, weight_shape, opt);
  if (dbias) conv2d_backward_bias(dbias, dout, g);
  if (!dx && !dweight) return;
  if (g.depthwise()) {
    conv2d_backward_depthwise(dx, dweight, dout, x, weight, g);
  } else if (use_direct_input_gradient(g)) {
    const bool direct_dw = use_direct_weight_gradient(g);
    conv2d_backward_direct(dx, direct_dw ? dweight : nullptr, dout, x, weight, g);
    if (dweight && !direct_dw) conv2d_backward_gemm(nullptr, dweight, dout, x, weight, g);
  } else {
    conv2d_backward_gemm(dx, dweight, dout, x, weight, g);
  }
}

// ---- scalar reference ---------------------------------------------------------------------
namespace ref {

// Calls fn(n, oc, oh, ow, c, kh, kw, ih, iw) for every product term of the convolution.
template <class Fn>
static void for_each_term(const ConvGeometry& g, Fn&& fn) {
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t oc = 0; oc < g.OC; ++oc)
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow)
          for (int64_t ci = 0; ci < g.Cg; ++ci)
            for (int64_t kh = 0; kh < g.KH; ++kh)
              for (int64_t kw = 0; kw < g.KW; ++kw) {
                int64_t ih = oh * g.stride - g.pad + kh * g.dilation;
                int64_t iw = ow * g.stride - g.pad + kw * g.dilation;
                if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                fn(n, oc, oh, ow, (oc / g.OCg) * g.Cg + ci, ci, kh, kw, ih, iw);
              }
}

Tensor conv2d_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dOptions opt) {
  ConvGeometry g = make_geometry(x.shape(), weight.shape(), opt);
  std::vector<double> acc(size_t(g.N * g.OC * g.OHW()), 0.0);
  for_each_term(g, [&](int64_t n, int64_t oc, int64_t oh, int64_t ow, int64_t c, int64_t ci,
                       int64_t kh, int64_t kw, int64_t ih, int64_t iw) {
    acc[size_t(((n * g.OC + oc) * g.OH + oh) * g.OW + ow)] +=
        double(x.data()[((n * g.C + c) * g.H + ih) * g.W + iw]) *
        double(weight.data()[((oc * g.Cg + ci) * g.KH + kh) * g.KW + kw]);
  });
  Tensor out = Tensor::empty({g.N, g.OC, g.OH, g.OW});
  for (size_t i = 0; i < acc.size(); ++i)
    out.data()[i] = float(acc[i] + (bias.defined() ? bias.data()[int64_t(i) / g.OHW() % g.OC] : 0.0));
  return out;
}

Conv2dGrads conv2d_backward(const Tensor& x, const Tensor& weight, const Tensor& dout,
                            Conv2dOptions opt) {
  ConvGeometry g = make_geometry(x.shape(), weight.shape(), opt);
  std::vector<double> dx(size_t(x.numel()), 0.0), dw(size_t(weight.numel()), 0.0),
      db(size_t(g.OC), 0.0);
  for_each_term(g, [&](int64_t n, int64_t oc, int64_t oh, int64_t ow, int64_t c, int64_t ci,
                       int64_t kh, int64_t kw, int64_t ih, int64_t iw) {
    double go = dout.data()[((n * g.OC + oc) * g.OH + oh) * g.OW + ow];
    int64_t xi = ((n * g.C + c) * g.H + ih) * g.W + iw;
    int64_t wi = ((oc * g.Cg + ci) * g.KH + kh) * g.KW + kw;
    dx[size_t(xi)] += go * weight.data()[wi];
    dw[size_t(wi)] += go * x.data()[xi];
  });
  for (int64_t i = 0; i < dout.numel(); ++i) db[size_t(i / g.OHW() % g.OC)] += dout.data()[i];
  auto to_tensor = [](const std::vector<double>& v, const Shape& s) {
    Tensor t = Tensor::empty(s);
    for (size_t i = 0; i < v.size(); ++i) t.data()[i] = float(v[i]);
    return t;
  };
  return {to_tensor(dx, x.shape()), to_tensor(dw, weight.shape()), to_tensor(db, {g.OC})};
}

}  // namespace ref

// ---- autograd glue ------------------------------------------------------------------------

static void check_conv2d_args(const Tensor& x, const Tensor& weight, const Tensor& bias,
                              Conv2dOptions opt) {
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

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dOptions opt) {
  check_conv2d_args(x, weight, bias, opt);
  ConvGeometry g = make_geometry(x.shape(), weight.shape(), opt);
  Tensor out = Tensor::empty({g.N, g.OC, g.OH, g.OW});
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
