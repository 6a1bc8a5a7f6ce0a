// Scaled dot-product attention as one fused kernel per (batch, head), and multi-head
// self-attention composed from linear, slice/reshape/permute and that kernel.
//
// Per item, with s = 1/sqrt(D):  S = s Q K^T (Tq,Tk),  P = softmax_rows(S),  O = P V.
// Backward (exact): dV = P^T dO,  dP = dO V^T,  dS = P * (dP - rowsum(P * dP)),
//                   dQ = s dS K,  dK = s dS^T Q.
// P is kept from the forward for the backward: (B,H,Tq,Tk) floats.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "engine/error.h"
#include "engine/parallel.h"
#include "ops/ops.h"
#include "ops/reference.h"
#include "ops/row_kernels.h"

namespace ulr {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;

struct AttentionDims {
  int64_t items = 0, Tq = 0, Tk = 0, D = 0, Dv = 0;
  float scale = 1.0f;
};

AttentionDims attention_dims(const Tensor& q, const Tensor& k, const Tensor& v) {
  const Shape &sq = q.shape(), &sk = k.shape(), &sv = v.shape();
  bool ok = sq.rank == 4 && sk.rank == 4 && sv.rank == 4;
  ok = ok && sq[0] == sk[0] && sq[0] == sv[0] && sq[1] == sk[1] && sq[1] == sv[1];
  ok = ok && sq[3] == sk[3] && sk[2] == sv[2];
  if (!ok)
    throw Error("scaled_dot_product_attention: q " + sq.str() + ", k " + sk.str() + ", v " +
                sv.str() + ": need q (B,H,Tq,D), k (B,H,Tk,D), v (B,H,Tk,Dv)");
  AttentionDims d;
  d.items = sq[0] * sq[1], d.Tq = sq[2], d.Tk = sk[2], d.D = sq[3], d.Dv = sv[3];
  d.scale = d.D > 0 ? float(1.0 / std::sqrt(double(d.D))) : 1.0f;
  return d;
}

// (batch, head) items per thread chunk: about 2^16 multiply-adds each (small inputs run serially).
int64_t item_grain(const AttentionDims& d) {
  return std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, d.Tq * d.Tk * (d.D + d.Dv)));
}

// ---- forward kernel -----------------------------------------------------------------------

// out (items,Tq,Dv) and probs (items,Tq,Tk) from q (items,Tq,D), k (items,Tk,D), v (items,Tk,Dv).
void attention_forward(float* out, float* probs, const float* q, const float* k,
                       const float* v, const AttentionDims& d) {
  parallel_for(d.items, item_grain(d), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      MatrixMap p(probs + i * d.Tq * d.Tk, d.Tq, d.Tk);
      p.noalias() = d.scale * (ConstMatrixMap(q + i * d.Tq * d.D, d.Tq, d.D) *
                               ConstMatrixMap(k + i * d.Tk * d.D, d.Tk, d.D).transpose());
      for (int64_t t = 0; t < d.Tq; ++t) softmax_row(p.data() + t * d.Tk, p.data() + t * d.Tk, d.Tk, false);
      MatrixMap(out + i * d.Tq * d.Dv, d.Tq, d.Dv).noalias() =
          p * ConstMatrixMap(v + i * d.Tk * d.Dv, d.Tk, d.Dv);
    }
  });
}

// ---- backward kernel ----------------------------------------------------------------------

// dq, dk, dv += gradients for dout (items,Tq,Dv); any of them may be null.
void attention_backward(float* dq, float* dk, float* dv, const float* dout,
                        const float* probs, const float* q, const float* k,
                        const float* v, const AttentionDims& d) {
  parallel_for(d.items, item_grain(d), [&](int64_t begin, int64_t end) {
    RowMatrix ds(d.Tq, d.Tk);
    for (int64_t i = begin; i < end; ++i) {
      ConstMatrixMap p(probs + i * d.Tq * d.Tk, d.Tq, d.Tk);
      ConstMatrixMap go(dout + i * d.Tq * d.Dv, d.Tq, d.Dv);
      if (dv) MatrixMap(dv + i * d.Tk * d.Dv, d.Tk, d.Dv).noalias() += p.transpose() * go;
      if (!dq && !dk) continue;
      ds.noalias() = go * ConstMatrixMap(v + i * d.Tk * d.Dv, d.Tk, d.Dv).transpose();  // dP
      for (int64_t t = 0; t < d.Tq; ++t) {  // SIMD row dot and update (Eigen's packets)
        const float dot = p.row(t).dot(ds.row(t));
        ds.row(t).array() = d.scale * p.row(t).array() * (ds.row(t).array() - dot);
      }
      if (dq)
        MatrixMap(dq + i * d.Tq * d.D, d.Tq, d.D).noalias() +=
            ds * ConstMatrixMap(k + i * d.Tk * d.D, d.Tk, d.D);
      if (dk)
        MatrixMap(dk + i * d.Tk * d.D, d.Tk, d.D).noalias() +=
            ds.transpose() * ConstMatrixMap(q + i * d.Tq * d.D, d.Tq, d.D);
    }
  });
}

}  // namespace

// ---- scalar reference ---------------------------------------------------------------------
namespace ref {

void scaled_dot_product_attention(const Tensor& out, const Tensor& q, const Tensor& k,
                                  const Tensor& v) {
  AttentionDims d = attention_dims(q, k, v);
  expect_shape("ref::scaled_dot_product_attention", "out", out, {q.size(0), q.size(1), d.Tq, d.Dv});
  std::vector<double> w(size_t(d.Tk));
  for (int64_t i = 0; i < d.items; ++i)
    for (int64_t t = 0; t < d.Tq; ++t) {
      double mx = -INFINITY, sum = 0;
      for (int64_t j = 0; j < d.Tk; ++j) {
        double s = 0;
        for (int64_t c = 0; c < d.D; ++c)
          s += double(q.data()[(i * d.Tq + t) * d.D + c]) * k.data()[(i * d.Tk + j) * d.D + c];
        w[size_t(j)] = s / std::sqrt(double(d.D));
        mx = std::max(mx, w[size_t(j)]);
      }
      for (double& x : w) sum += (x = std::exp(x - mx));
      for (int64_t c = 0; c < d.Dv; ++c) {
        double o = 0;
        for (int64_t j = 0; j < d.Tk; ++j)
          o += w[size_t(j)] / sum * v.data()[(i * d.Tk + j) * d.Dv + c];
        out.data()[(i * d.Tq + t) * d.Dv + c] = float(o);
      }
    }
}

void multi_head_attention(const Tensor& out, const Tensor& x, const Tensor& in_proj_weight,
                          const Tensor& in_proj_bias, const Tensor& out_proj_weight,
                          const Tensor& out_proj_bias, int heads) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), hd = C / heads;
  expect_shape("ref::multi_head_attention", "out", out, x.shape());
  Tensor qkv = Tensor::empty({B, T, 3 * C});
  ref::linear(qkv, x, in_proj_weight, in_proj_bias);
  Tensor q = Tensor::empty({B, heads, T, hd}), k = Tensor::empty({B, heads, T, hd}),
         v = Tensor::empty({B, heads, T, hd});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t c = 0; c < hd; ++c) {
          const float* row = qkv.data() + (b * T + t) * 3 * C + h * hd + c;
          const int64_t o = ((b * heads + h) * T + t) * hd + c;
          q.data()[o] = row[0], k.data()[o] = row[C], v.data()[o] = row[2 * C];
        }
  Tensor a = Tensor::empty({B, heads, T, hd});
  ref::scaled_dot_product_attention(a, q, k, v);
  Tensor merged = Tensor::empty({B, T, C});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t c = 0; c < hd; ++c)
          merged.data()[(b * T + t) * C + h * hd + c] =
              a.data()[((b * heads + h) * T + t) * hd + c];
  ref::linear(out, merged, out_proj_weight, out_proj_bias);
}

}  // namespace ref

// ---- autograd glue ------------------------------------------------------------------------

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v) {
  AttentionDims d = attention_dims(q, k, v);
  Tensor out = Tensor::empty({q.size(0), q.size(1), d.Tq, d.Dv});
  Tensor probs = Tensor::empty({q.size(0), q.size(1), d.Tq, d.Tk});
  attention_forward(out.data(), probs.data(), q.data(), k.data(), v.data(), d);
  if (should_record({q, k, v})) {
    record(out, "scaled_dot_product_attention", {q, k, v}, [q, k, v, probs, d](const Tensor& out) {
      attention_backward(q.requires_grad() ? q.grad_data() : nullptr,
                         k.requires_grad() ? k.grad_data() : nullptr,
                         v.requires_grad() ? v.grad_data() : nullptr, out.grad_data(),
                         probs.data(), q.data(), k.data(), v.data(), d);
    });
  }
  return out;
}

Tensor multi_head_attention(const Tensor& x, const Tensor& in_proj_weight,
                            const Tensor& in_proj_bias, const Tensor& out_proj_weight,
                            const Tensor& out_proj_bias, int heads) {
  const Shape& sx = x.shape();
  const int64_t C = sx.rank == 3 ? sx[2] : 0;
  auto shape_is = [](const Tensor& t, const Shape& s) { return !t.defined() || t.shape() == s; };
  if (sx.rank != 3 || heads < 1 || C % heads != 0 || !in_proj_weight.defined() ||
      in_proj_weight.shape() != Shape{3 * C, C} || !shape_is(in_proj_bias, {3 * C}) ||
      !out_proj_weight.defined() || out_proj_weight.shape() != Shape{C, C} ||
      !shape_is(out_proj_bias, {C}))
    throw Error("multi_head_attention: x " + sx.str() + ", " + std::to_string(heads) +
                " heads, in_proj_weight " +
                (in_proj_weight.defined() ? in_proj_weight.shape().str() : "none") +
                ", out_proj_weight " +
                (out_proj_weight.defined() ? out_proj_weight.shape().str() : "none") +
                ": need x (B,T,C) with C divisible by heads, in_proj (3C,C)+(3C), "
                "out_proj (C,C)+(C)");
  const int64_t B = sx[0], T = sx[1], hd = C / heads;
  Tensor qkv = linear(x, in_proj_weight, in_proj_bias);  // (B,T,3C), rows [q; k; v]
  auto split_heads = [&](int64_t part) {                  // -> (B,heads,T,hd)
    Tensor t = reshape(slice(qkv, 2, part * C, (part + 1) * C), {B, T, heads, hd});
    return permute(t, {0, 2, 1, 3});
  };
  Tensor a = scaled_dot_product_attention(split_heads(0), split_heads(1), split_heads(2));
  Tensor merged = reshape(permute(a, {0, 2, 1, 3}), {B, T, C});
  return linear(merged, out_proj_weight, out_proj_bias);
}

}  // namespace ulr
