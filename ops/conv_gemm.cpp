// conv2d as im2col + Eigen GEMM: the kernel for every convolution the direct and depthwise ones
// do not take. Per sample and group, out (OCg, OH*OW) = W_g (OCg, Cg*KH*KW) x cols (Cg*KH*KW,
// OH*OW). A 1x1 convolution at stride 1 without padding skips im2col: x itself is the column
// matrix. Every GEMM runs single-threaded inside one unit of work (ops/conv_internal.h).
#include <Eigen/Core>

#include <algorithm>

#include "engine/parallel.h"
#include "ops/conv_internal.h"

namespace ulr {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using ConstMatrixMap = Eigen::Map<const RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;

// Output columns ow in [lo, hi) read input column ow*stride + offset inside [0, W).
void valid_columns(int64_t offset, const ConvGeometry& conv, int64_t& lo, int64_t& hi) {
  lo = offset >= 0 ? 0 : (-offset + conv.stride - 1) / conv.stride;
  hi = conv.W - 1 - offset < 0 ? 0 : std::min(conv.OW, (conv.W - 1 - offset) / conv.stride + 1);
  lo = std::min(lo, conv.OW);
  hi = std::max(hi, lo);
}

// dst[0, n) <- src[i] inside [lo, hi), zero outside. Rows are short (OW is 8..64): inline SIMD
// with an overlapping last block instead of a scalar tail or calls to memcpy.
inline void copy_row(float* dst, const float* src, int64_t lo, int64_t hi, int64_t n) {
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

// cols (patch_size, (oh1-oh0)*OW), rows row_stride apart <- one group of one sample, x (Cg,H,W),
// output rows [oh0, oh1). Row r = (c*KH + kh)*KW + kw; positions in the padding read zero.
void im2col(float* cols, int64_t row_stride, const float* x, const ConvGeometry& conv, int64_t oh0,
            int64_t oh1) {
  const int64_t OW = conv.OW, W = conv.W, H = conv.H, stride = conv.stride;
  for (int64_t c = 0; c < conv.Cg; ++c)
    for (int64_t kh = 0; kh < conv.KH; ++kh) {
      // Output rows whose input row oh*stride - pad + kh*dilation lies inside [0, H): [oh_lo, oh_hi).
      const int64_t first = kh * conv.dilation - conv.pad;
      const int64_t oh_lo =
          std::clamp<int64_t>(first >= 0 ? 0 : (-first + stride - 1) / stride, oh0, oh1);
      const int64_t oh_hi =
          std::clamp<int64_t>(H - 1 - first < 0 ? 0 : (H - 1 - first) / stride + 1, oh_lo, oh1);
      for (int64_t kw = 0; kw < conv.KW; ++kw) {
        float* row = cols + ((c * conv.KH + kh) * conv.KW + kw) * row_stride;
        const int64_t offset = kw * conv.dilation - conv.pad;
        int64_t lo, hi;
        valid_columns(offset, conv, lo, hi);
        std::fill(row, row + (oh_lo - oh0) * OW, 0.0f);
        std::fill(row + (oh_hi - oh0) * OW, row + (oh1 - oh0) * OW, 0.0f);
        float* dst = row + (oh_lo - oh0) * OW;
        const float* src = x + c * conv.HW() + (oh_lo * stride + first) * W + offset;
        if (stride == 1) {
          for (int64_t oh = oh_lo; oh < oh_hi; ++oh, dst += OW, src += W) copy_row(dst, src, lo, hi, OW);
        } else {
          for (int64_t oh = oh_lo; oh < oh_hi; ++oh, dst += OW, src += stride * W) {
            std::fill(dst, dst + lo, 0.0f);
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * stride];
            std::fill(dst + hi, dst + OW, 0.0f);
          }
        }
      }
    }
}

// dx (Cg,H,W) += col2im(dcols), the adjoint of im2col over all output rows.
void col2im_add(float* dx, const float* dcols, const ConvGeometry& conv) {
  const int64_t row_stride = conv.OHW(), OW = conv.OW, W = conv.W, H = conv.H, stride = conv.stride;
  for (int64_t c = 0; c < conv.Cg; ++c)
    for (int64_t kh = 0; kh < conv.KH; ++kh) {
      const int64_t first = kh * conv.dilation - conv.pad;
      const int64_t oh_lo = std::min(conv.OH, first >= 0 ? 0 : (-first + stride - 1) / stride);
      const int64_t oh_hi =
          std::clamp<int64_t>(H - 1 - first < 0 ? 0 : (H - 1 - first) / stride + 1, oh_lo, conv.OH);
      for (int64_t kw = 0; kw < conv.KW; ++kw) {
        const int64_t offset = kw * conv.dilation - conv.pad;
        int64_t lo, hi;
        valid_columns(offset, conv, lo, hi);
        const float* src = dcols + ((c * conv.KH + kh) * conv.KW + kw) * row_stride + oh_lo * OW;
        float* dst = dx + c * conv.HW() + (oh_lo * stride + first) * W + offset;
        for (int64_t oh = oh_lo; oh < oh_hi; ++oh, src += OW, dst += stride * W) {
          if (stride == 1) {
            int64_t ow = lo;
            for (; ow + kSimd <= hi; ow += kSimd)
              (fbatch::load_unaligned(dst + ow) + fbatch::load_unaligned(src + ow)).store_unaligned(dst + ow);
            for (; ow < hi; ++ow) dst[ow] += src[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow * stride] += src[ow];
          }
        }
      }
    }
}

}  // namespace

// ---- forward kernel -----------------------------------------------------------------------

// One unit = (sample, group, tile of output rows).
void conv2d_forward_gemm(float* out, const float* x, const float* weight, const float* bias,
                         const ConvGeometry& conv) {
  const int64_t patch = conv.patch_size(), OHW = conv.OHW();
  const int64_t tile_rows = forward_tile_rows(conv.OH, conv.OW, conv.N * conv.groups);
  const int64_t tiles = (conv.OH + tile_rows - 1) / tile_rows;
  const int64_t units = conv.N * conv.groups * tiles;
  parallel_for(units, 1, [&](int64_t begin, int64_t end) {
    for (int64_t u = begin; u < end; ++u) {
      const int64_t n = u / (conv.groups * tiles), group = (u / tiles) % conv.groups, t = u % tiles;
      const int64_t oh0 = t * tile_rows, oh1 = std::min(conv.OH, oh0 + tile_rows);
      const int64_t tile_columns = (oh1 - oh0) * conv.OW;
      const float* x_group = x + (n * conv.C + group * conv.Cg) * conv.HW();
      // (OCg, tile_columns), rows OHW apart
      float* out_group = out + (n * conv.OC + group * conv.OCg) * OHW + oh0 * conv.OW;
      for (int64_t oc = 0; oc < conv.OCg; ++oc)
        std::fill(out_group + oc * OHW, out_group + oc * OHW + tile_columns,
                  bias ? bias[group * conv.OCg + oc] : 0.0f);
      MatrixMap o(out_group, conv.OCg, tile_columns, Eigen::OuterStride<>(OHW));
      ConstMatrixMap w(weight + group * conv.OCg * patch, conv.OCg, patch, Eigen::OuterStride<>(patch));
      if (conv.pointwise()) {
        ConstMatrixMap cols(x_group + oh0 * conv.OW, patch, tile_columns, Eigen::OuterStride<>(conv.HW()));
        o.noalias() += w * cols;
      } else {
        Scratch cols_buffer(patch * tile_columns);
        im2col(cols_buffer.data, tile_columns, x_group, conv, oh0, oh1);
        ConstMatrixMap cols(cols_buffer.data, patch, tile_columns, Eigen::OuterStride<>(tile_columns));
        o.noalias() += w * cols;
      }
    }
  });
}

// ---- backward kernel ----------------------------------------------------------------------

// One unit = a chunk of samples; per sample and group:
//   dW_g (OCg, patch) += dout_g (OCg, OHW) x cols^T (OHW, patch)   into the chunk's partial sum
//   dcols (patch, OHW) = W_g^T (patch, OCg) x dout_g,  dx_g += col2im(dcols)
void conv2d_backward_gemm(float* dx, float* dweight, const float* dout, const float* x,
                          const float* weight, const ConvGeometry& conv) {
  const int64_t patch = conv.patch_size(), OHW = conv.OHW(), weight_size = conv.OC * patch;
  const int64_t chunk = backward_chunk(conv.N, OHW);
  const int64_t chunks = (conv.N + chunk - 1) / chunk;
  Scratch partial(dweight ? chunks * weight_size : 1);  // (chunks, OC, patch)
  parallel_for(conv.N, chunk, [&](int64_t begin, int64_t end) {
    float* partial_dweight = dweight ? partial.data + (begin / chunk) * weight_size : nullptr;
    if (partial_dweight) std::fill(partial_dweight, partial_dweight + weight_size, 0.0f);
    Scratch cols_buffer(conv.pointwise() ? 1 : patch * OHW);
    Scratch dcols_buffer(conv.pointwise() || !dx ? 1 : patch * OHW);
    for (int64_t n = begin; n < end; ++n)
      for (int64_t group = 0; group < conv.groups; ++group) {
        const float* x_group = x + (n * conv.C + group * conv.Cg) * conv.HW();
        ConstMatrixMap dout_g(dout + (n * conv.OC + group * conv.OCg) * OHW, conv.OCg, OHW,
                              Eigen::OuterStride<>(OHW));
        ConstMatrixMap w(weight + group * conv.OCg * patch, conv.OCg, patch, Eigen::OuterStride<>(patch));
        if (partial_dweight) {
          const float* cols_data = x_group;
          if (!conv.pointwise()) {
            im2col(cols_buffer.data, OHW, x_group, conv, 0, conv.OH);
            cols_data = cols_buffer.data;
          }
          ConstMatrixMap cols(cols_data, patch, OHW, Eigen::OuterStride<>(OHW));
          MatrixMap dw_g(partial_dweight + group * conv.OCg * patch, conv.OCg, patch,
                         Eigen::OuterStride<>(patch));
          dw_g.noalias() += dout_g * cols.transpose();
        }
        if (dx) {
          float* dx_group = dx + (n * conv.C + group * conv.Cg) * conv.HW();
          if (conv.pointwise()) {
            MatrixMap dx_g(dx_group, patch, OHW, Eigen::OuterStride<>(OHW));
            dx_g.noalias() += w.transpose() * dout_g;
          } else {
            MatrixMap dcols(dcols_buffer.data, patch, OHW, Eigen::OuterStride<>(OHW));
            dcols.noalias() = w.transpose() * dout_g;
            col2im_add(dx_group, dcols_buffer.data, conv);
          }
        }
      }
  });
  if (!dweight) return;
  add_partials(dweight, partial.data, chunks, weight_size);
}

}  // namespace ulr
