// Direct xsimd conv2d kernels for 3x3 (groups 1, dilation 1, pad <= 2): the forward at stride 1
// and 2, the stride-1 input gradient, and the weight gradient with few outputs on wide maps.
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
//
// "in" and "out" below are the correlation's own channels: x and out for the forward, dout and
// dx for the input gradient.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "engine/parallel.h"
#include "ops/conv_internal.h"

namespace ulr {

// ---- forward kernels (the correlation, shared with the input gradient) --------------------
namespace {

constexpr int64_t kDirectBlock = 6;      // output channels per register block (correlation)
constexpr int64_t kDirectGradBlock = 4;  // output channels per register block (weight gradient)
// Input channels of a packed strip that every block reads before the next ones: 24 x 9 rows of
// two vectors (13.5 KiB with AVX2) stay in L1 across the blocks.
constexpr int64_t kStripChannels = 24;

// f(std::integral_constant<int, Outputs>) for a block of outputs = 1..Max output channels (Max
// for more): one instance of f per block size the caller can produce.
template <int Max, class F>
void with_block(int64_t outputs, F&& f) {
  if constexpr (Max > 1)
    if (outputs < Max) return with_block<Max - 1>(outputs, f);
  f(std::integral_constant<int, Max>());
}

// f(first, outputs) for the blocks of output channels [first, first + outputs) that split
// out_channels into as few blocks of at most kDirectBlock as possible, of sizes that differ by
// at most one (32 -> 6, 6, 5, 5, 5, 5 rather than five 6s and a 2, whose registers would sit
// mostly idle).
template <class F>
void for_each_block(int64_t out_channels, F&& f) {
  const int64_t blocks = (out_channels + kDirectBlock - 1) / kDirectBlock;
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t first = out_channels * b / blocks;
    f(first, out_channels * (b + 1) / blocks - first);
  }
}

// packed <- the kernel as the direct correlation reads it: outputs in for_each_block's blocks,
// per block [in][kh][kw][out in block]. tap(o, i, kh, kw) gives the weight.
template <class Tap>
void pack_direct_weights(float* packed, int64_t out_channels, int64_t in_channels, Tap tap) {
  for_each_block(out_channels, [&](int64_t first, int64_t outputs) {
    float* w = packed + first * in_channels * 9;
    for (int64_t i = 0; i < in_channels; ++i)
      for (int64_t k = 0; k < 9; ++k)
        for (int64_t j = 0; j < outputs; ++j) w[(i * 9 + k) * outputs + j] = tap(first + j, i, k / 3, k % 3);
  });
}

// dst (in_channels, rows, Wp) <- rows [row0, row0 + rows) of src (in_channels, H, W), shifted
// right by left, zeros where src has no row or column.
void pad_rows(float* dst, const float* src, int64_t in_channels, int64_t H, int64_t W, int64_t row0,
              int64_t rows, int64_t left, int64_t Wp) {
  for (int64_t i = 0; i < in_channels; ++i)
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

// The zero-padded input rows a tile of `out_rows` output rows reads, for stride 1 or 2. A window
// row holds `stride` phases of phase_width floats: padded column col sits at
// (col % stride) * phase_width + col / stride, so that tap kw of the output vector at ow reads
// contiguous floats from phase kw % stride at ow + kw / stride (stride 2 splits even and odd
// columns). tap_offset[kh * 3 + kw] is that offset plus the tap's row; output row r starts at
// window row r * stride.
struct Window {
  int64_t stride, phase_width, row_length, rows, plane_size;
  int64_t tap_offset[9];
  Window(int64_t out_rows, int64_t OW, int64_t stride)
      : stride(stride), phase_width(OW - 1 + (2 + stride) / stride), row_length(stride * phase_width),
        rows((out_rows - 1) * stride + 3), plane_size(rows * row_length) {
    for (int64_t kh = 0; kh < 3; ++kh)
      for (int64_t kw = 0; kw < 3; ++kw)
        tap_offset[kh * 3 + kw] = kh * row_length + (kw % stride) * phase_width + kw / stride;
  }
  // Offset of output pixel (r, ow)'s first tap.
  int64_t offset(int64_t r, int64_t ow) const { return r * stride * row_length + ow; }
};

// dst (in_channels, win.rows, win.row_length) <- rows [row0, row0 + win.rows) of src
// (in_channels, H, W) shifted right by left, zeros where src has no row or column, in win's
// phase layout.
void fill_window(float* dst, const float* src, int64_t in_channels, int64_t H, int64_t W, int64_t row0,
                 int64_t left, const Window& win) {
  if (win.stride == 1) return pad_rows(dst, src, in_channels, H, W, row0, win.rows, left, win.row_length);
  // stride 2: even padded columns to phase 0, odd ones to phase 1
  const int64_t columns_in_window = std::min(W, win.row_length - left);
  for (int64_t i = 0; i < in_channels; ++i)
    for (int64_t r = 0; r < win.rows; ++r) {
      float* d = dst + i * win.plane_size + r * win.row_length;
      const int64_t h = row0 + r;
      std::fill(d, d + win.row_length, 0.0f);
      if (h < 0 || h >= H) continue;
      const float* in = src + (i * H + h) * W;
      for (int64_t w = 0; w < columns_in_window; ++w) {
        const int64_t col = w + left;
        d[(col & 1) * win.phase_width + (col >> 1)] = in[w];
      }
    }
}

// strip (in_channels*9, Vectors*kSimd) <- the window's inputs under Vectors SIMD vectors of
// output pixels, vector v reading the window from in_offset[v]; row k = i*9 + kh*3 + kw. Packed
// once, the strip feeds every block of output channels from aligned loads.
template <int Vectors>
void pack_strip(float* strip, const float* in, const int64_t* in_offset, int64_t in_channels,
                const Window& win) {
  for (int64_t i = 0; i < in_channels; ++i) {
    const float* p = in + i * win.plane_size;
    for (int t = 0; t < 9; ++t, strip += Vectors * kSimd)
      for (int v = 0; v < Vectors; ++v)
        fbatch::load_unaligned(p + in_offset[v] + win.tap_offset[t]).store_aligned(strip + v * kSimd);
  }
}

// One register block: out[j][out_offset[v] + lane] += sum_i,kh,kw in[i][kh][kw][v][lane] *
// w[i][kh][kw][j] for Outputs output channels (planes out_plane_stride apart) x Vectors
// vectors, in the order (i, kh, kw). Packed reads the inputs from a strip (pack_strip);
// otherwise straight from the window, vector v at in_offset[v].
template <int Outputs, int Vectors, bool Packed>
inline void correlate_block(float* out, int64_t out_plane_stride, const int64_t* out_offset,
                            const float* in, const int64_t* in_offset, int64_t in_channels,
                            const Window& win, const float* w) {
  fbatch acc[Outputs][Vectors];
  for (int j = 0; j < Outputs; ++j)
    for (int v = 0; v < Vectors; ++v)
      acc[j][v] = fbatch::load_unaligned(out + j * out_plane_stride + out_offset[v]);
  for (int64_t i = 0; i < in_channels; ++i)
    for (int t = 0; t < 9; ++t, w += Outputs) {
      fbatch x[Vectors];
      for (int v = 0; v < Vectors; ++v) {
        if constexpr (Packed)
          x[v] = fbatch::load_aligned(in + ((i * 9 + t) * Vectors + v) * kSimd);
        else
          x[v] = fbatch::load_unaligned(in + i * win.plane_size + in_offset[v] + win.tap_offset[t]);
      }
      for (int j = 0; j < Outputs; ++j) {
        const fbatch wv(w[j]);
        for (int v = 0; v < Vectors; ++v) acc[j][v] = xsimd::fma(x[v], wv, acc[j][v]);
      }
    }
  for (int j = 0; j < Outputs; ++j)
    for (int v = 0; v < Vectors; ++v) acc[j][v].store_unaligned(out + j * out_plane_stride + out_offset[v]);
}

// out (out_channels planes out_plane_stride apart, rows x OW) += sum_i,kh,kw
// in[i][r * stride + kh][ow * stride + kw] * w[i][kh][kw][o]; in (in_channels, win) from
// fill_window, packed by pack_direct_weights. The SIMD vectors of every output row (OW / kSimd
// of them) are taken two at a time in row-major order, so a pair may span two rows of a narrow
// map (8 wide). With more outputs than one block each pair's strip is packed once and read by
// every block, kStripChannels input channels at a time; one block reads the window itself.
// Columns past a row's last whole vector run scalar.
void direct_correlate(float* out, int64_t out_plane_stride, int64_t out_channels, int64_t rows, int64_t OW,
                      const float* in, int64_t in_channels, const Window& win, const float* packed,
                      float* strip) {
  constexpr int kPair = 2;  // SIMD vectors per register block
  const int64_t vectors_per_row = OW / kSimd, vectors = rows * vectors_per_row;
  const int64_t weights_per_output = in_channels * 9;
  const bool use_strip = out_channels > kDirectBlock;
  int64_t out_offset[kPair], in_offset[kPair];
  auto run = [&](auto vector_count) {
    constexpr int Vectors = decltype(vector_count)::value;
    if (!use_strip) {
      for_each_block(out_channels, [&](int64_t first, int64_t outputs) {
        with_block<kDirectBlock>(outputs, [&](auto Outputs) {
          correlate_block<Outputs, Vectors, false>(out + first * out_plane_stride, out_plane_stride,
                                                   out_offset, in, in_offset, in_channels, win,
                                                   packed + first * weights_per_output);
        });
      });
      return;
    }
    pack_strip<Vectors>(strip, in, in_offset, in_channels, win);
    for (int64_t first_input = 0; first_input < in_channels; first_input += kStripChannels) {
      const int64_t inputs = std::min(kStripChannels, in_channels - first_input);
      for_each_block(out_channels, [&](int64_t first, int64_t outputs) {
        with_block<kDirectBlock>(outputs, [&](auto Outputs) {
          correlate_block<Outputs, Vectors, true>(
              out + first * out_plane_stride, out_plane_stride, out_offset,
              strip + first_input * 9 * Vectors * kSimd, in_offset, inputs, win,
              packed + first * weights_per_output + first_input * 9 * Outputs);
        });
      });
    }
  };
  for (int64_t b = 0; b < vectors; b += kPair) {
    const int vector_count = int(std::min<int64_t>(kPair, vectors - b));
    for (int v = 0; v < vector_count; ++v) {
      const int64_t r = (b + v) / vectors_per_row, ow = ((b + v) % vectors_per_row) * kSimd;
      out_offset[v] = r * OW + ow, in_offset[v] = win.offset(r, ow);
    }
    if (vector_count == kPair)
      run(std::integral_constant<int, kPair>());
    else
      run(std::integral_constant<int, 1>());
  }
  for_each_block(out_channels, [&](int64_t first, int64_t outputs) {
    const float* w = packed + first * weights_per_output;
    for (int64_t j = 0; j < outputs; ++j)
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t ow = vectors_per_row * kSimd; ow < OW; ++ow) {
          float acc = out[(first + j) * out_plane_stride + r * OW + ow];
          for (int64_t i = 0; i < in_channels; ++i)
            for (int t = 0; t < 9; ++t)
              acc = std::fma(in[i * win.plane_size + win.offset(r, ow) + win.tap_offset[t]],
                             w[(i * 9 + t) * outputs + j], acc);
          out[(first + j) * out_plane_stride + r * OW + ow] = acc;
        }
  });
}

// out (N, out_channels, OH, OW) += the correlation, at `stride`, of src (N, in_channels, H, W)
// padded by pad_top / pad_left (rows and columns outside src read zero) with the packed kernel.
// One unit = a sample's tile of output rows, tiled as the GEMM forward tiles.
void direct_planes(float* out, int64_t N, int64_t out_channels, int64_t OH, int64_t OW, const float* src,
                   int64_t in_channels, int64_t H, int64_t W, int64_t stride, int64_t pad_top,
                   int64_t pad_left, const float* packed) {
  const int64_t tile_rows = forward_tile_rows(OH, OW, N);
  const int64_t tiles = (OH + tile_rows - 1) / tile_rows;
  parallel_for(N * tiles, 1, [&](int64_t begin, int64_t end) {
    const Window full(tile_rows, OW, stride);
    Scratch window(in_channels * full.plane_size), strip(in_channels * 9 * 2 * kSimd);
    for (int64_t u = begin; u < end; ++u) {
      const int64_t n = u / tiles, r0 = (u % tiles) * tile_rows, rows = std::min(tile_rows, OH - r0);
      const Window win(rows, OW, stride);
      fill_window(window.data, src + n * in_channels * H * W, in_channels, H, W, r0 * stride - pad_top,
                  pad_left, win);
      direct_correlate(out + n * out_channels * OH * OW + r0 * OW, OH * OW, out_channels, rows, OW,
                       window.data, in_channels, win, packed, strip.data);
    }
  });
}

}  // namespace

void conv2d_forward_direct(float* out, const float* x, const float* weight, const float* bias,
                           const ConvGeometry& conv) {
  Scratch packed(conv.OC * conv.C * 9);
  pack_direct_weights(packed.data, conv.OC, conv.C, [&](int64_t o, int64_t i, int64_t kh, int64_t kw) {
    return weight[((o * conv.C + i) * 3 + kh) * 3 + kw];
  });
  parallel_for(conv.N * conv.OC, 16, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p)
      std::fill(out + p * conv.OHW(), out + (p + 1) * conv.OHW(), bias ? bias[p % conv.OC] : 0.0f);
  });
  direct_planes(out, conv.N, conv.OC, conv.OH, conv.OW, x, conv.C, conv.H, conv.W, conv.stride, conv.pad,
                conv.pad, packed.data);
}

// ---- backward kernels ---------------------------------------------------------------------
namespace {

// dw[j] (C, 3, 3) += sum over the plane of dout[j][p] * x_padded[c][p + (kh, kw)] for j < Outputs,
// one sample: dout (Outputs planes, OH*OW apart), x_padded (C, OH + 2, OW + 2); dw[j] starts
// dweight_stride floats after dw[j - 1]. A block's nine taps of one input row stay in registers
// over the plane.
template <int Outputs>
void direct_weight_gradient(float* dw, int64_t dweight_stride, const float* dout, int64_t OH, int64_t OW,
                            const float* x_padded, int64_t C) {
  const int64_t Wp = OW + 2, padded_plane = (OH + 2) * Wp, dout_plane = OH * OW;
  for (int64_t c = 0; c < C; ++c)
    for (int kh = 0; kh < 3; ++kh) {
      fbatch acc[Outputs][3];
      float tail[Outputs][3] = {};
      for (int j = 0; j < Outputs; ++j)
        for (int kw = 0; kw < 3; ++kw) acc[j][kw] = fbatch(0.0f);
      for (int64_t oh = 0; oh < OH; ++oh) {
        const float* row = x_padded + c * padded_plane + (oh + kh) * Wp;
        const float* dout_row = dout + oh * OW;
        int64_t ow = 0;
        for (; ow + kSimd <= OW; ow += kSimd) {
          const fbatch x0 = fbatch::load_unaligned(row + ow), x1 = fbatch::load_unaligned(row + ow + 1),
                       x2 = fbatch::load_unaligned(row + ow + 2);
          for (int j = 0; j < Outputs; ++j) {
            const fbatch dout_vector = fbatch::load_unaligned(dout_row + j * dout_plane + ow);
            acc[j][0] = xsimd::fma(dout_vector, x0, acc[j][0]);
            acc[j][1] = xsimd::fma(dout_vector, x1, acc[j][1]);
            acc[j][2] = xsimd::fma(dout_vector, x2, acc[j][2]);
          }
        }
        for (; ow < OW; ++ow)
          for (int j = 0; j < Outputs; ++j)
            for (int kw = 0; kw < 3; ++kw)
              tail[j][kw] = std::fma(dout_row[j * dout_plane + ow], row[ow + kw], tail[j][kw]);
      }
      for (int j = 0; j < Outputs; ++j)
        for (int kw = 0; kw < 3; ++kw)
          dw[j * dweight_stride + (c * 3 + kh) * 3 + kw] += xsimd::hadd(acc[j][kw]) + tail[j][kw];
    }
}

}  // namespace

// Input gradient: dx (N, C, H, W) += dout (N, OC, OH, OW) padded by 2 - pad, correlated with the
// flipped kernel transposed (OC in, C out). Weight gradient: per chunk of samples (as the GEMM
// backward chunks) into its own partial sum, the chunks added in order.
void conv2d_backward_direct(float* dx, float* dweight, const float* dout, const float* x,
                            const float* weight, const ConvGeometry& conv) {
  if (dx) {
    Scratch packed(conv.OC * conv.C * 9);
    pack_direct_weights(packed.data, conv.C, conv.OC, [&](int64_t c, int64_t o, int64_t kh, int64_t kw) {
      return weight[((o * conv.C + c) * 3 + 2 - kh) * 3 + 2 - kw];
    });
    const int64_t dout_pad = 2 - conv.pad;
    direct_planes(dx, conv.N, conv.C, conv.H, conv.W, dout, conv.OC, conv.OH, conv.OW, 1, dout_pad, dout_pad,
                  packed.data);
  }
  if (!dweight) return;
  const int64_t OHW = conv.OHW(), weight_size = conv.OC * conv.C * 9, Hp = conv.OH + 2, Wp = conv.OW + 2;
  const int64_t chunk = backward_chunk(conv.N, OHW);
  const int64_t chunks = (conv.N + chunk - 1) / chunk;
  Scratch partial(chunks * weight_size);
  parallel_for(conv.N, chunk, [&](int64_t begin, int64_t end) {
    float* partial_dweight = partial.data + (begin / chunk) * weight_size;
    std::fill(partial_dweight, partial_dweight + weight_size, 0.0f);
    Scratch x_padded(conv.C * Hp * Wp);
    for (int64_t n = begin; n < end; ++n) {
      pad_rows(x_padded.data, x + n * conv.C * conv.HW(), conv.C, conv.H, conv.W, -conv.pad, Hp, conv.pad,
               Wp);
      for (int64_t first = 0; first < conv.OC; first += kDirectGradBlock) {
        float* dw = partial_dweight + first * conv.C * 9;
        const float* dout_block = dout + (n * conv.OC + first) * OHW;
        with_block<kDirectGradBlock>(std::min(kDirectGradBlock, conv.OC - first), [&](auto Outputs) {
          direct_weight_gradient<Outputs>(dw, conv.C * 9, dout_block, conv.OH, conv.OW, x_padded.data,
                                          conv.C);
        });
      }
    }
  });
  add_partials(dweight, partial.data, chunks, weight_size);
}

}  // namespace ulr
