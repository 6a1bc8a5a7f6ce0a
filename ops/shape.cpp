// Shape ops: reshape, permute, concat, slice. Each makes a new tensor with its own tape node;
// reshape shares the input's storage (the layout does not change), the others copy.
//
// Dims may be negative (counted from the end). slice takes start/end after that convention
// too (negative counts from the end) and requires 0 <= start <= end <= size after it.
#include <algorithm>
#include <numeric>
#include <string>

#include "engine/error.h"
#include "engine/parallel.h"
#include "ops/ops.h"
#include "ops/reference.h"

namespace ulr {
namespace {

constexpr int64_t kCopyGrain = 1 << 14;  // elements per thread chunk

int normalize_dim(int dim, int rank, const char* op, const Shape& s) {
  int d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= rank)
    throw Error(std::string(op) + ": dim " + std::to_string(dim) + " out of range for shape " +
                s.str());
  return d;
}

// Row-major strides of s.
void strides_of(const Shape& s, int64_t* strides) {
  int64_t st = 1;
  for (int i = s.rank - 1; i >= 0; --i) strides[i] = st, st *= s.dims[i];
}

// Product of dims [begin, end).
int64_t dims_product(const Shape& s, int begin, int end) {
  int64_t p = 1;
  for (int i = begin; i < end; ++i) p *= s.dims[i];
  return p;
}

// ---- forward kernels ----------------------------------------------------------------------

// dst (src_shape permuted by dims) = or += src (src_shape): dst[i0..] = src[..] with
// dst dim k being src dim dims[k]. Each dst element is written once, so chunks are independent.
void permute_kernel(float* dst, const float* src, const Shape& src_shape, const int* dims,
                    bool accumulate) {
  const int rank = src_shape.rank;
  if (rank == 0) {
    dst[0] = accumulate ? dst[0] + src[0] : src[0];
    return;
  }
  int64_t src_strides[kMaxRank], stride[kMaxRank], extent[kMaxRank];
  strides_of(src_shape, src_strides);
  for (int k = 0; k < rank; ++k)
    stride[k] = src_strides[dims[k]], extent[k] = src_shape.dims[dims[k]];
  const int64_t inner = extent[rank - 1], inner_stride = stride[rank - 1];
  const int64_t rows = inner ? src_shape.numel() / inner : 0;
  parallel_for(rows, std::max<int64_t>(1, kCopyGrain / std::max<int64_t>(1, inner)),
               [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      int64_t base = 0, r = row;
      for (int k = rank - 2; k >= 0; --k) base += (r % extent[k]) * stride[k], r /= extent[k];
      float* out = dst + row * inner;
      const float* in = src + base;
      if (accumulate)
        for (int64_t j = 0; j < inner; ++j) out[j] += in[j * inner_stride];
      else
        for (int64_t j = 0; j < inner; ++j) out[j] = in[j * inner_stride];
    }
  });
}

// Copies a block of `width` elements per outer index between a wide tensor (row length
// wide_row) at column offset `offset` and a narrow one (row length width): the common kernel of
// concat (narrow -> wide), slice (wide -> narrow) and their backwards (with accumulate).
void copy_block(float* dst, const float* src, int64_t outer, int64_t width,
                int64_t dst_row, int64_t dst_offset, int64_t src_row, int64_t src_offset,
                bool accumulate) {
  parallel_for(outer, std::max<int64_t>(1, kCopyGrain / std::max<int64_t>(1, width)),
               [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      float* d = dst + o * dst_row + dst_offset;
      const float* s = src + o * src_row + src_offset;
      if (accumulate)
        for (int64_t j = 0; j < width; ++j) d[j] += s[j];
      else
        std::copy(s, s + width, d);
    }
  });
}

Shape resolve_reshape(const Shape& from, const Shape& to) {
  Shape out = to;
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < to.rank; ++i) {
    if (to.dims[i] == -1 && infer < 0) {
      infer = i;
    } else if (to.dims[i] < 0) {
      throw Error("reshape: " + from.str() + " to " + to.str() +
                  ": at most one -1, no other negative dims");
    } else {
      known *= to.dims[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || from.numel() % known != 0)
      throw Error("reshape: cannot infer the -1 in " + to.str() + " for " + from.str());
    out.dims[infer] = from.numel() / known;
  }
  if (out.numel() != from.numel())
    throw Error("reshape: " + from.str() + " has " + std::to_string(from.numel()) +
                " elements, " + to.str() + " has " + std::to_string(out.numel()));
  return out;
}

std::vector<int> checked_permutation(const Shape& s, const std::vector<int>& dims) {
  auto fail = [&]() {
    std::string d;
    for (size_t i = 0; i < dims.size(); ++i) d += (i ? "," : "") + std::to_string(dims[i]);
    return Error("permute: dims (" + d + ") are not a permutation of the dims of " + s.str());
  };
  if (int(dims.size()) != s.rank) throw fail();
  std::vector<int> p(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    int d = dims[i] < 0 ? dims[i] + s.rank : dims[i];
    if (d < 0 || d >= s.rank || seen[size_t(d)]) throw fail();
    seen[size_t(d)] = true;
    p[i] = d;
  }
  return p;
}

Shape permuted_shape(const Shape& s, const std::vector<int>& p) {
  Shape out = s;
  for (int k = 0; k < s.rank; ++k) out.dims[k] = s.dims[p[size_t(k)]];
  return out;
}

}  // namespace

// ---- scalar reference ---------------------------------------------------------------------
namespace ref {
namespace {

// Decomposes a flat index into a multi-index of shape s.
void unravel(int64_t i, const Shape& s, int64_t* idx) {
  for (int k = s.rank - 1; k >= 0; --k) idx[k] = i % s.dims[k], i /= s.dims[k];
}
int64_t ravel(const int64_t* idx, const Shape& s) {
  int64_t i = 0;
  for (int k = 0; k < s.rank; ++k) i = i * s.dims[k] + idx[k];
  return i;
}

}  // namespace

void permute(const Tensor& out, const Tensor& x, const std::vector<int>& dims) {
  std::vector<int> p = checked_permutation(x.shape(), dims);
  expect_shape("ref::permute", "out", out, permuted_shape(x.shape(), p));
  int64_t oi[kMaxRank], xi[kMaxRank];
  for (int64_t i = 0; i < out.numel(); ++i) {
    unravel(i, out.shape(), oi);
    for (int k = 0; k < x.rank(); ++k) xi[p[size_t(k)]] = oi[k];
    out.data()[i] = x.data()[ravel(xi, x.shape())];
  }
}

void concat(const Tensor& out, const std::vector<Tensor>& xs, int dim) {
  int d = dim < 0 ? dim + xs[0].rank() : dim;
  Shape so = xs[0].shape();
  so.dims[d] = 0;
  for (const Tensor& x : xs) so.dims[d] += x.size(d);
  expect_shape("ref::concat", "out", out, so);
  int64_t idx[kMaxRank];
  for (int64_t i = 0; i < out.numel(); ++i) {
    unravel(i, so, idx);
    size_t which = 0;
    while (idx[d] >= xs[which].size(d)) idx[d] -= xs[which++].size(d);
    out.data()[i] = xs[which].data()[ravel(idx, xs[which].shape())];
  }
}

void slice(const Tensor& out, const Tensor& x, int dim, int64_t start, int64_t end) {
  int d = dim < 0 ? dim + x.rank() : dim;
  if (start < 0) start += x.size(d);
  if (end < 0) end += x.size(d);
  Shape so = x.shape();
  so.dims[d] = end - start;
  expect_shape("ref::slice", "out", out, so);
  int64_t idx[kMaxRank];
  for (int64_t i = 0; i < out.numel(); ++i) {
    unravel(i, so, idx);
    idx[d] += start;
    out.data()[i] = x.data()[ravel(idx, x.shape())];
  }
}

}  // namespace ref

// ---- autograd glue ------------------------------------------------------------------------

Tensor reshape(const Tensor& x, const Shape& shape) {
  Shape so = resolve_reshape(x.shape(), shape);
  Tensor out = x.view(so);  // same storage, same element order
  if (should_record({x})) {
    record(out, "reshape", {x}, [x](const Tensor& out) {
      const float* dout = out.grad_data();
      float* dx = x.grad_data();
      parallel_for(x.numel(), kCopyGrain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) dx[i] += dout[i];
      });
    });
  }
  return out;
}

Tensor permute(const Tensor& x, const std::vector<int>& dims) {
  std::vector<int> p = checked_permutation(x.shape(), dims);
  Tensor out = Tensor::empty(permuted_shape(x.shape(), p));
  permute_kernel(out.data(), x.data(), x.shape(), p.data(), false);
  if (should_record({x})) {
    std::vector<int> inverse(p.size());
    for (size_t k = 0; k < p.size(); ++k) inverse[size_t(p[k])] = int(k);
    record(out, "permute", {x}, [x, inverse](const Tensor& out) {
      permute_kernel(x.grad_data(), out.grad_data(), out.shape(), inverse.data(), true);
    });
  }
  return out;
}

Tensor concat(const std::vector<Tensor>& xs, int dim) {
  if (xs.empty()) throw Error("concat: no tensors");
  const Shape& s0 = xs[0].shape();
  const int d = normalize_dim(dim, s0.rank, "concat", s0);
  Shape so = s0;
  so.dims[d] = 0;
  for (const Tensor& x : xs) {
    bool ok = x.rank() == s0.rank;
    for (int i = 0; ok && i < s0.rank; ++i) ok = i == d || x.size(i) == s0.dims[i];
    if (!ok)
      throw Error("concat: shapes " + s0.str() + " and " + x.shape().str() +
                  " differ outside dim " + std::to_string(dim));
    so.dims[d] += x.size(d);
  }
  Tensor out = Tensor::empty(so);
  const int64_t outer = dims_product(so, 0, d), inner = dims_product(so, d + 1, so.rank);
  const int64_t out_row = so.dims[d] * inner;
  int64_t offset = 0;
  for (const Tensor& x : xs) {
    const int64_t width = x.size(d) * inner;
    copy_block(out.data(), x.data(), outer, width, out_row, offset, width, 0, false);
    offset += width;
  }
  if (should_record(xs)) {
    record(out, "concat", xs, [xs, outer, out_row, inner, d](const Tensor& out) {
      int64_t offset = 0;
      for (const Tensor& x : xs) {
        const int64_t width = x.size(d) * inner;
        if (x.requires_grad())
          copy_block(x.grad_data(), out.grad_data(), outer, width, width, 0, out_row, offset, true);
        offset += width;
      }
    });
  }
  return out;
}

Tensor slice(const Tensor& x, int dim, int64_t start, int64_t end) {
  const Shape& sx = x.shape();
  const int d = normalize_dim(dim, sx.rank, "slice", sx);
  const int64_t size = sx.dims[d];
  const int64_t s = start < 0 ? start + size : start, e = end < 0 ? end + size : end;
  if (s < 0 || e > size || s > e)
    throw Error("slice: [" + std::to_string(start) + ", " + std::to_string(end) + ") along dim " +
                std::to_string(dim) + " is out of range for shape " + sx.str());
  Shape so = sx;
  so.dims[d] = e - s;
  Tensor out = Tensor::empty(so);
  const int64_t outer = dims_product(sx, 0, d), inner = dims_product(sx, d + 1, sx.rank);
  const int64_t x_row = size * inner, width = (e - s) * inner, offset = s * inner;
  copy_block(out.data(), x.data(), outer, width, width, 0, x_row, offset, false);
  if (should_record({x})) {
    record(out, "slice", {x}, [x, outer, width, x_row, offset](const Tensor& out) {
      copy_block(x.grad_data(), out.grad_data(), outer, width, x_row, offset, width, 0, true);
    });
  }
  return out;
}

}  // namespace ulr
