// Elementwise arithmetic with NumPy broadcasting, and the full reductions sum/mean.
// Same-shape operands take a SIMD path (xsimd); broadcast operands an index-mapping path.
#include <xsimd/xsimd.hpp>

#include "engine/error.h"
#include "engine/parallel.h"
#include "ops/ops.h"
#include "ops/row_kernels.h"
#include "ops/reference.h"

namespace ulr {
namespace {

using fbatch = xsimd::batch<float>;
constexpr int64_t kElementGrain = 1 << 14;  // elements per thread chunk

// ---- broadcasting helpers ---------------------------------------------------------------

// Output shape of broadcasting a with b (dims aligned from the right; 1 stretches).
Shape broadcast_shape(const Shape& a, const Shape& b, const char* op) {
  Shape out;
  out.rank = std::max(a.rank, b.rank);
  for (int i = 0; i < out.rank; ++i) {
    int ia = a.rank - out.rank + i, ib = b.rank - out.rank + i;
    int64_t da = ia >= 0 ? a.dims[ia] : 1, db = ib >= 0 ? b.dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      throw Error(std::string(op) + ": shapes " + a.str() + " and " + b.str() + " do not broadcast");
    out.dims[i] = da == 1 ? db : da;
  }
  return out;
}

// Strides of `s` viewed in `out`'s rank, 0 where s is broadcast.
void broadcast_strides(const Shape& s, const Shape& out, int64_t* strides) {
  int64_t stride = 1;
  for (int i = out.rank - 1; i >= 0; --i) {
    int is = s.rank - out.rank + i;
    int64_t d = is >= 0 ? s.dims[is] : 1;
    strides[i] = d == 1 ? 0 : stride;
    stride *= d;
  }
}

// Offset into a broadcast operand of output element `index`.
int64_t broadcast_offset(int64_t index, const Shape& out, const int64_t* strides) {
  int64_t off = 0;
  for (int i = out.rank - 1; i >= 0; --i) {
    off += (index % out.dims[i]) * strides[i];
    index /= out.dims[i];
  }
  return off;
}

// ---- forward kernels ----------------------------------------------------------------------

// out[i] = a[i] (op) b[i], all n long.
void arith_same_shape(float* out, const float* a, const float* b, int64_t n, Arith op) {
  parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    int64_t i = begin;
    for (; i + int64_t(fbatch::size) <= end; i += fbatch::size) {
      fbatch va = fbatch::load_unaligned(a + i), vb = fbatch::load_unaligned(b + i);
      fbatch r = op == Arith::Add ? va + vb : op == Arith::Sub ? va - vb : va * vb;
      r.store_unaligned(out + i);
    }
    for (; i < end; ++i) out[i] = op == Arith::Add ? a[i] + b[i] : op == Arith::Sub ? a[i] - b[i] : a[i] * b[i];
  });
}

void arith_broadcast(float* out, const Shape& so, const float* a, const Shape& sa,
                     const float* b, const Shape& sb, Arith op) {
  int64_t stra[kMaxRank], strb[kMaxRank];
  broadcast_strides(sa, so, stra);
  broadcast_strides(sb, so, strb);
  parallel_for(so.numel(), kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float x = a[broadcast_offset(i, so, stra)], y = b[broadcast_offset(i, so, strb)];
      out[i] = op == Arith::Add ? x + y : op == Arith::Sub ? x - y : x * y;
    }
  });
}

// ---- backward kernels ---------------------------------------------------------------------

// dx[broadcast(i)] += factor * dout[i] * (other ? other[broadcast(i)] : 1). Serial when x is
// broadcast (several outputs hit one dx element; a fixed order keeps it deterministic).
void arith_backward_operand(float* dx, const Shape& sx, const float* dout, const Shape& so,
                            const float* other, const Shape& s_other, float factor) {
  if (sx == so && (!other || s_other == so)) {
    parallel_for(so.numel(), kElementGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) dx[i] += factor * dout[i] * (other ? other[i] : 1.0f);
    });
    return;
  }
  int64_t strx[kMaxRank], stro[kMaxRank];
  broadcast_strides(sx, so, strx);
  if (other) broadcast_strides(s_other, so, stro);
  const int64_t n = so.numel();
  for (int64_t i = 0; i < n; ++i) {
    float g = factor * dout[i];
    if (other) g *= other[broadcast_offset(i, so, stro)];
    dx[broadcast_offset(i, so, strx)] += g;
  }
}

}  // namespace

// ---- scalar reference ---------------------------------------------------------------------
namespace ref {

void arith(const Tensor& out, const Tensor& a, const Tensor& b, Arith op) {
  Shape so = broadcast_shape(a.shape(), b.shape(), "ref::arith");
  expect_shape("ref::arith", "out", out, so);
  int64_t stra[kMaxRank], strb[kMaxRank];
  broadcast_strides(a.shape(), so, stra);
  broadcast_strides(b.shape(), so, strb);
  for (int64_t i = 0; i < so.numel(); ++i) {
    float x = a.data()[broadcast_offset(i, so, stra)], y = b.data()[broadcast_offset(i, so, strb)];
    out.data()[i] = op == Arith::Add ? x + y : op == Arith::Sub ? x - y : x * y;
  }
}
}  // namespace ref

// ---- autograd glue ------------------------------------------------------------------------

namespace {

Tensor arith(const Tensor& a, const Tensor& b, Arith op, const char* name) {
  Shape so = broadcast_shape(a.shape(), b.shape(), name);
  Tensor out = Tensor::empty(so);
  if (a.shape() == so && b.shape() == so)
    arith_same_shape(out.data(), a.data(), b.data(), so.numel(), op);
  else
    arith_broadcast(out.data(), so, a.data(), a.shape(), b.data(), b.shape(), op);
  if (should_record({a, b})) {
    record(out, name, {a, b}, [a, b, op](const Tensor& out) {
      const float* dout = out.grad_data();
      if (a.requires_grad())
        arith_backward_operand(a.grad_data(), a.shape(), dout, out.shape(),
                               op == Arith::Mul ? b.data() : nullptr, b.shape(), 1.0f);
      if (b.requires_grad())
        arith_backward_operand(b.grad_data(), b.shape(), dout, out.shape(),
                               op == Arith::Mul ? a.data() : nullptr, a.shape(),
                               op == Arith::Sub ? -1.0f : 1.0f);
    });
  }
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return arith(a, b, Arith::Add, "add"); }
Tensor sub(const Tensor& a, const Tensor& b) { return arith(a, b, Arith::Sub, "sub"); }
Tensor mul(const Tensor& a, const Tensor& b) { return arith(a, b, Arith::Mul, "mul"); }

namespace {

// out = s * x + c
Tensor affine_scalar(const Tensor& x, float s, float c, const char* name) {
  Tensor out = Tensor::empty(x.shape());
  const float* px = x.data();
  float* po = out.data();
  parallel_for(x.numel(), kElementGrain, [&](int64_t begin, int64_t end) {
    int64_t i = begin;
    fbatch vs(s), vc(c);
    for (; i + int64_t(fbatch::size) <= end; i += fbatch::size)
      xsimd::fma(fbatch::load_unaligned(px + i), vs, vc).store_unaligned(po + i);
    for (; i < end; ++i) po[i] = std::fma(px[i], s, c);
  });
  if (should_record({x})) {
    record(out, name, {x}, [x, s](const Tensor& out) {
      const float* dout = out.grad_data();
      float* dx = x.grad_data();
      for (int64_t i = 0; i < x.numel(); ++i) dx[i] += s * dout[i];
    });
  }
  return out;
}

}  // namespace

Tensor scale(const Tensor& x, float s) { return affine_scalar(x, s, 0.0f, "scale"); }
Tensor add_scalar(const Tensor& x, float s) { return affine_scalar(x, 1.0f, s, "add_scalar"); }

namespace {

Tensor reduce_scaled(const Tensor& x, double factor, const char* name) {
  Tensor out = Tensor::full({1}, float(chunked_sum(x.numel(), kElementGrain, [p = x.data()](int64_t i) { return double(p[i]); }) * factor));
  if (should_record({x})) {
    record(out, name, {x}, [x, factor](const Tensor& out) {
      float g = float(out.grad_data()[0] * factor);
      float* dx = x.grad_data();
      for (int64_t i = 0; i < x.numel(); ++i) dx[i] += g;
    });
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x) { return reduce_scaled(x, 1.0, "sum"); }
Tensor mean(const Tensor& x) { return reduce_scaled(x, x.numel() ? 1.0 / double(x.numel()) : 0.0, "mean"); }

}  // namespace ulr
