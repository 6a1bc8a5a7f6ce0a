// Losses (each a scalar of shape [1]) and the vector ops the feature loss is built from:
// cross_entropy, mse_loss, l1_loss, bce_with_logits, l2_normalize, cosine_similarity, feature_loss.
// Every sum over many terms runs over fixed chunks whose partial sums (in double) are added in
// chunk order, so a loss and its gradient are bit-identical for any thread count.
#include <cmath>
#include <limits>
#include <vector>
#include <xsimd/xsimd.hpp>

#include "engine/error.h"
#include "engine/parallel.h"
#include "ops/dim_view.h"
#include "ops/ops.h"
#include "ops/reference.h"
#include "ops/row_kernels.h"

namespace ulr {
namespace {

using fbatch = xsimd::batch<float>;
constexpr int64_t kLossGrain = 1 << 14;  // elements per chunk of a pointwise loss
constexpr int64_t kPixelBlock = 256;     // pixels per cross_entropy work item
constexpr int64_t kB = int64_t(fbatch::size);

// ---- cross_entropy: forward and backward kernels ------------------------------------------
// logits viewed as (N, K, S) with S = H*W (S = 1 for (N,K)); target (N, S). Per pixel
// nll = logsumexp_k x_k - x_y, loss = sum_p w[y_p] nll_p / sum_p w[y_p] over kept pixels p.
// Gradient: dx_k = dloss * w[y] / sum_w * (softmax_k - [k == y]).

struct ClassView {
  int64_t n = 0, k = 0, s = 1;
};

// One work item: pixels [s0, s1) of image i. Writes logsumexp per pixel into lse (N*S) and
// returns the item's sums of w*nll and w.
void cross_entropy_block(float* lse, double* loss_sum, double* weight_sum, const float* x,
                         const uint8_t* target, const float* weights, const ClassView& v,
                         int64_t i, int64_t s0, int64_t s1, int ignore_index) {
  const float* xi = x + i * v.k * v.s;
  float m[kPixelBlock], sum[kPixelBlock];
  const int64_t len = s1 - s0;
  for (int64_t p = 0; p < len; ++p) m[p] = xi[s0 + p];
  for (int64_t k = 1; k < v.k; ++k) {
    const float* row = xi + k * v.s + s0;
    int64_t p = 0;
    for (; p + kB <= len; p += kB)
      xsimd::max(fbatch::load_unaligned(m + p), fbatch::load_unaligned(row + p)).store_unaligned(m + p);
    for (; p < len; ++p) m[p] = std::max(m[p], row[p]);
  }
  for (int64_t p = 0; p < len; ++p) sum[p] = 0.0f;
  for (int64_t k = 0; k < v.k; ++k) {
    const float* row = xi + k * v.s + s0;
    int64_t p = 0;
    for (; p + kB <= len; p += kB) {
      fbatch e = xsimd::exp(fbatch::load_unaligned(row + p) - fbatch::load_unaligned(m + p));
      (fbatch::load_unaligned(sum + p) + e).store_unaligned(sum + p);
    }
    for (; p < len; ++p) sum[p] += std::exp(row[p] - m[p]);
  }
  double ls = 0, ws = 0;
  for (int64_t p = 0; p < len; ++p) {
    const float l = m[p] + std::log(sum[p]);
    lse[i * v.s + s0 + p] = l;
    const int y = target[i * v.s + s0 + p];
    if (y == ignore_index) continue;
    const double w = weights ? weights[y] : 1.0;
    ls += w * double(l - xi[y * v.s + s0 + p]);
    ws += w;
  }
  *loss_sum = ls;
  *weight_sum = ws;
}

// Calls fn(item, image, s0, s1) for every (image, pixel block) work item in parallel.
template <class Fn>
void for_each_pixel_block(const ClassView& v, Fn fn) {
  const int64_t blocks = (v.s + kPixelBlock - 1) / kPixelBlock;
  parallel_for(v.n * blocks, std::max<int64_t>(1, kLossGrain / (kPixelBlock * std::max<int64_t>(v.k, 1))),
               [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t i = item / blocks, s0 = (item % blocks) * kPixelBlock;
      fn(item, i, s0, std::min(v.s, s0 + kPixelBlock));
    }
  });
}

// Returns the weighted mean nll; total_weight gets sum of w over kept pixels.
double cross_entropy_forward(float* lse, double* total_weight, const float* x, const uint8_t* target,
                             const float* weights, const ClassView& v, int ignore_index) {
  const int64_t items = v.n * ((v.s + kPixelBlock - 1) / kPixelBlock);
  std::vector<double> loss_part(static_cast<size_t>(items)), weight_part(static_cast<size_t>(items));
  for_each_pixel_block(v, [&](int64_t item, int64_t i, int64_t s0, int64_t s1) {
    cross_entropy_block(lse, &loss_part[size_t(item)], &weight_part[size_t(item)], x, target, weights, v, i,
                        s0, s1, ignore_index);
  });
  double ls = 0, ws = 0;
  for (int64_t t = 0; t < items; ++t) ls += loss_part[size_t(t)], ws += weight_part[size_t(t)];
  *total_weight = ws;
  return ws > 0 ? ls / ws : 0.0;
}

// dx (N,K,S) += dloss / total_weight * w[y] * (exp(x - lse) - onehot(y)); ignored pixels get 0.
void cross_entropy_backward(float* dx, float dloss, const float* x, const float* lse,
                            const uint8_t* target, const float* weights, double total_weight,
                            const ClassView& v, int ignore_index) {
  if (!(total_weight > 0)) return;  // nothing kept: the loss is the constant 0
  const double g = double(dloss) / total_weight;
  for_each_pixel_block(v, [&](int64_t, int64_t i, int64_t s0, int64_t s1) {
    float coef[kPixelBlock];
    const int64_t len = s1 - s0, base = i * v.s + s0;
    for (int64_t p = 0; p < len; ++p) {
      const int y = target[base + p];
      coef[p] = y == ignore_index ? 0.0f : float(g * (weights ? weights[y] : 1.0f));
    }
    const float* xi = x + i * v.k * v.s + s0;
    float* dxi = dx + i * v.k * v.s + s0;
    for (int64_t k = 0; k < v.k; ++k) {
      int64_t p = 0;
      for (; p + kB <= len; p += kB) {
        fbatch prob = xsimd::exp(fbatch::load_unaligned(xi + k * v.s + p) - fbatch::load_unaligned(lse + base + p));
        (fbatch::load_unaligned(dxi + k * v.s + p) + fbatch::load_unaligned(coef + p) * prob)
            .store_unaligned(dxi + k * v.s + p);
      }
      for (; p < len; ++p) dxi[k * v.s + p] += coef[p] * std::exp(xi[k * v.s + p] - lse[base + p]);
    }
    for (int64_t p = 0; p < len; ++p) {
      const int y = target[base + p];
      if (y != ignore_index) dxi[y * v.s + p] -= coef[p];
    }
  });
}

// ---- pointwise losses: forward and backward kernels ----------------------------------------
// loss = mean_i term(p_i, t_i); dp_i += dloss/n * dterm/dp, dt_i += dloss/n * dterm/dt.

enum class Pointwise { Mse, L1, Bce };

double pointwise_term(Pointwise kind, float p, float t) {
  const double d = double(p) - double(t);
  switch (kind) {
    case Pointwise::Mse: return d * d;
    case Pointwise::L1: return std::fabs(d);
    case Pointwise::Bce:  // max(x,0) - x t + log(1 + exp(-|x|)), stable for any x
      return std::max(double(p), 0.0) - double(p) * t + std::log1p(std::exp(-std::fabs(double(p))));
  }
  return 0;
}

void pointwise_backward(float* dp, float* dt, float dloss, const float* p, const float* t, int64_t n,
                        Pointwise kind) {
  const float g = float(double(dloss) / double(n));
  parallel_for(n, kLossGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float d = p[i] - t[i], gp = 0, gt = 0;
      if (kind == Pointwise::Mse) {
        gp = 2.0f * d * g, gt = -gp;
      } else if (kind == Pointwise::L1) {
        gp = d > 0 ? g : d < 0 ? -g : 0.0f, gt = -gp;  // sign(d), 0 at 0 as PyTorch
      } else {
        gp = (1.0f / (1.0f + std::exp(-p[i])) - t[i]) * g, gt = -p[i] * g;
      }
      if (dp) dp[i] += gp;
      if (dt) dt[i] += gt;
    }
  });
}

// ---- l2_normalize and cosine_similarity: forward and backward kernels ----------------------
// Vectors along `dim`, addressed through a DimView (ops/dim_view.h).

int64_t vector_grain(const DimView& v) { return std::max<int64_t>(1, kLossGrain / std::max<int64_t>(v.d, 1)); }

// y = x / max(||x||, eps); norm (items) keeps ||x|| for backward.
void l2_normalize_forward(float* y, float* norm, const float* x, const DimView& v, float eps) {
  parallel_for(v.items(), vector_grain(v), [&](int64_t begin, int64_t end) {
    for (int64_t it = begin; it < end; ++it) {
      double q = 0;
      for (int64_t k = 0; k < v.d; ++k) q += double(x[v.at(it, k)]) * x[v.at(it, k)];
      norm[it] = float(std::sqrt(q));
      const float inv = 1.0f / std::max(norm[it], eps);
      for (int64_t k = 0; k < v.d; ++k) y[v.at(it, k)] = x[v.at(it, k)] * inv;
    }
  });
}

// Unclamped (||x|| >= eps): dx += (dy - y (y . dy)) / ||x||. Clamped: dx += dy / eps.
void l2_normalize_backward(float* dx, const float* dy, const float* y, const float* norm,
                           const DimView& v, float eps) {
  parallel_for(v.items(), vector_grain(v), [&](int64_t begin, int64_t end) {
    for (int64_t it = begin; it < end; ++it) {
      double ydy = 0;
      const bool clamped = norm[it] < eps;
      if (!clamped)
        for (int64_t k = 0; k < v.d; ++k) ydy += double(y[v.at(it, k)]) * dy[v.at(it, k)];
      const float inv = 1.0f / std::max(norm[it], eps), proj = float(ydy);
      for (int64_t k = 0; k < v.d; ++k) {
        const int64_t o = v.at(it, k);
        dx[o] += (dy[o] - y[o] * proj) * inv;
      }
    }
  });
}

// As torch 1.13: each squared norm is clamped below at eps^2 (outside autograd, so the clamped
// value is used in the gradient formula too), cos = a.b / sqrt(max(|a|^2,eps^2) max(|b|^2,eps^2)).
struct CosineParts {
  double dot, a2, b2;  // a.b and the clamped squared norms
};

CosineParts cosine_parts(const float* a, const float* b, const DimView& v, int64_t it, float eps) {
  double dot = 0, a2 = 0, b2 = 0;
  for (int64_t k = 0; k < v.d; ++k) {
    const double x = a[v.at(it, k)], y = b[v.at(it, k)];
    dot += x * y, a2 += x * x, b2 += y * y;
  }
  const double e2 = double(eps) * double(eps);
  return {dot, std::max(a2, e2), std::max(b2, e2)};
}

void cosine_similarity_forward(float* out, const float* a, const float* b, const DimView& v, float eps) {
  parallel_for(v.items(), vector_grain(v), [&](int64_t begin, int64_t end) {
    for (int64_t it = begin; it < end; ++it) {
      CosineParts c = cosine_parts(a, b, v, it, eps);
      out[it] = float(c.dot / std::sqrt(c.a2 * c.b2));
    }
  });
}

// da += dout (b / sqrt(a2 b2) - cos a / a2); db += dout (a / sqrt(a2 b2) - cos b / b2).
void cosine_similarity_backward(float* da, float* db, const float* dout, const float* a, const float* b,
                                const DimView& v, float eps) {
  parallel_for(v.items(), vector_grain(v), [&](int64_t begin, int64_t end) {
    for (int64_t it = begin; it < end; ++it) {
      CosineParts c = cosine_parts(a, b, v, it, eps);
      const double inv = 1.0 / std::sqrt(c.a2 * c.b2), cos = c.dot * inv, g = dout[it];
      for (int64_t k = 0; k < v.d; ++k) {
        const int64_t o = v.at(it, k);
        if (da) da[o] += float(g * (b[o] * inv - cos * a[o] / c.a2));
        if (db) db[o] += float(g * (a[o] * inv - cos * b[o] / c.b2));
      }
    }
  });
}

// ---- shape checks -------------------------------------------------------------------------

ClassView class_view(const Tensor& logits, const Labels& target, const Tensor& class_weights) {
  const Shape& s = logits.shape();
  Shape want;
  if (s.rank == 4)
    want = Shape({s[0], s[2], s[3]});
  else if (s.rank == 2)
    want = Shape({s[0]});
  if ((s.rank != 4 && s.rank != 2) || target.shape != want)
    throw Error("cross_entropy: logits " + s.str() + " and target " + target.shape.str() +
                " do not match; expected logits (N,K,H,W) with target (N,H,W), or (N,K) with (N)");
  if (class_weights.defined() && (class_weights.rank() != 1 || class_weights.size(0) != s[1]))
    throw Error("cross_entropy: class_weights " + class_weights.shape().str() + " do not match the " +
                std::to_string(s[1]) + " classes of logits " + s.str());
  if (target.data.size() != size_t(target.numel()))
    throw Error("cross_entropy: target holds " + std::to_string(target.data.size()) + " labels for shape " +
                target.shape.str());
  ClassView v;
  v.n = s[0];
  v.k = s[1];
  v.s = s.rank == 4 ? s[2] * s[3] : 1;
  return v;
}

void check_labels(const Labels& target, int64_t classes, int ignore_index) {
  for (size_t i = 0; i < target.data.size(); ++i) {
    const int y = target.data[i];
    if (y != ignore_index && y >= classes)
      throw Error("cross_entropy: label " + std::to_string(y) + " at index " + std::to_string(i) +
                  " is not a class of " + std::to_string(classes) + " and not ignore_index " +
                  std::to_string(ignore_index));
  }
}

void check_same_shape(const Tensor& a, const Tensor& b, const char* op) {
  if (a.shape() != b.shape())
    throw Error(std::string(op) + ": shapes " + a.shape().str() + " and " + b.shape().str() + " differ");
}

// Output shape of a reduction over dim: the dim is dropped ([1] when nothing is left).
Shape drop_dim(const Shape& s, int dim) {
  if (dim < 0) dim += s.rank;
  std::vector<int64_t> d;
  for (int i = 0; i < s.rank; ++i)
    if (i != dim) d.push_back(s.dims[i]);
  if (d.empty()) d.push_back(1);
  return Shape(d);
}

}  // namespace

// ---- scalar reference ---------------------------------------------------------------------
namespace ref {

void cross_entropy(const Tensor& out, const Tensor& logits, const Labels& target,
                   const Tensor& class_weights, int ignore_index) {
  ClassView v = class_view(logits, target, class_weights);
  check_labels(target, v.k, ignore_index);
  expect_shape("ref::cross_entropy", "out", out, {1});
  double ls = 0, ws = 0;
  for (int64_t i = 0; i < v.n; ++i)
    for (int64_t s = 0; s < v.s; ++s) {
      const int y = target.data[size_t(i * v.s + s)];
      if (y == ignore_index) continue;
      auto x = [&](int64_t k) { return double(logits.data()[(i * v.k + k) * v.s + s]); };
      double m = x(0), se = 0;
      for (int64_t k = 1; k < v.k; ++k) m = std::max(m, x(k));
      for (int64_t k = 0; k < v.k; ++k) se += std::exp(x(k) - m);
      const double w = class_weights.defined() ? class_weights.data()[y] : 1.0;
      ls += w * (m + std::log(se) - x(y));
      ws += w;
    }
  out.data()[0] = ws > 0 ? float(ls / ws) : 0.0f;
}

namespace {

void pointwise_mean(const Tensor& out, const Tensor& p, const Tensor& t, Pointwise kind, const char* name) {
  check_same_shape(p, t, name);
  expect_shape(name, "out", out, {1});
  double s = 0;
  for (int64_t i = 0; i < p.numel(); ++i) s += pointwise_term(kind, p.data()[i], t.data()[i]);
  out.data()[0] = float(s / double(p.numel()));
}

}  // namespace

void mse_loss(const Tensor& out, const Tensor& pred, const Tensor& target) {
  pointwise_mean(out, pred, target, Pointwise::Mse, "ref::mse_loss");
}
void l1_loss(const Tensor& out, const Tensor& pred, const Tensor& target) {
  pointwise_mean(out, pred, target, Pointwise::L1, "ref::l1_loss");
}
void bce_with_logits(const Tensor& out, const Tensor& logits, const Tensor& target) {
  pointwise_mean(out, logits, target, Pointwise::Bce, "ref::bce_with_logits");
}

void l2_normalize(const Tensor& out, const Tensor& x, int dim, float eps) {
  DimView v = dim_view(x.shape(), dim, "ref::l2_normalize");
  expect_shape("ref::l2_normalize", "out", out, x.shape());
  for (int64_t it = 0; it < v.items(); ++it) {
    double q = 0;
    for (int64_t k = 0; k < v.d; ++k) q += double(x.data()[v.at(it, k)]) * x.data()[v.at(it, k)];
    const double den = std::max(std::sqrt(q), double(eps));
    for (int64_t k = 0; k < v.d; ++k) out.data()[v.at(it, k)] = float(x.data()[v.at(it, k)] / den);
  }
}

void cosine_similarity(const Tensor& out, const Tensor& a, const Tensor& b, int dim, float eps) {
  check_same_shape(a, b, "ref::cosine_similarity");
  DimView v = dim_view(a.shape(), dim, "ref::cosine_similarity");
  expect_shape("ref::cosine_similarity", "out", out, drop_dim(a.shape(), dim));
  for (int64_t it = 0; it < v.items(); ++it) {
    double dot = 0, a2 = 0, b2 = 0;
    for (int64_t k = 0; k < v.d; ++k) {
      double x = a.data()[v.at(it, k)], y = b.data()[v.at(it, k)];
      dot += x * y, a2 += x * x, b2 += y * y;
    }
    const double e = double(eps);
    out.data()[it] = float(dot / (std::max(std::sqrt(a2), e) * std::max(std::sqrt(b2), e)));
  }
}

}  // namespace ref

// ---- autograd glue ------------------------------------------------------------------------

// When every pixel is ignored (or every kept weight is 0) the loss is 0 with gradient 0, so a
// batch without labelled pixels contributes nothing; PyTorch returns NaN there.
Tensor cross_entropy(const Tensor& logits, const Labels& target, const Tensor& class_weights, int ignore_index) {
  ClassView v = class_view(logits, target, class_weights);
  check_labels(target, v.k, ignore_index);
  Tensor lse = Tensor::empty({std::max<int64_t>(v.n * v.s, 1)});
  const float* weights = class_weights.defined() ? class_weights.data() : nullptr;
  double total_weight = 0;
  const double loss = cross_entropy_forward(lse.data(), &total_weight, logits.data(), target.data.data(), weights,
                                            v, ignore_index);
  Tensor out = Tensor::full({1}, float(loss));
  if (should_record({logits})) {
    // The closure keeps its own copy of the labels: the caller's may change before backward.
    auto labels = std::make_shared<std::vector<uint8_t>>(target.data);
    record(out, "cross_entropy", {logits},
           [logits, class_weights, lse, labels, total_weight, v, ignore_index](const Tensor& out) {
             cross_entropy_backward(logits.grad_data(), out.grad_data()[0], logits.data(), lse.data(),
                                    labels->data(), class_weights.defined() ? class_weights.data() : nullptr,
                                    total_weight, v, ignore_index);
           });
  }
  return out;
}

namespace {

Tensor pointwise_loss(const Tensor& p, const Tensor& t, Pointwise kind, const char* op) {
  check_same_shape(p, t, op);
  const float *pp = p.data(), *pt = t.data();
  const int64_t n = p.numel();
  const double s = chunked_sum(n, kLossGrain, [&](int64_t i) { return pointwise_term(kind, pp[i], pt[i]); });
  Tensor out = Tensor::full({1}, n ? float(s / double(n)) : 0.0f);
  if (should_record({p, t}))
    record(out, op, {p, t}, [p, t, kind](const Tensor& out) {
      pointwise_backward(p.requires_grad() ? p.grad_data() : nullptr, t.requires_grad() ? t.grad_data() : nullptr,
                         out.grad_data()[0], p.data(), t.data(), p.numel(), kind);
    });
  return out;
}

}  // namespace

Tensor mse_loss(const Tensor& pred, const Tensor& target) { return pointwise_loss(pred, target, Pointwise::Mse, "mse_loss"); }
Tensor l1_loss(const Tensor& pred, const Tensor& target) { return pointwise_loss(pred, target, Pointwise::L1, "l1_loss"); }
Tensor bce_with_logits(const Tensor& logits, const Tensor& target) {
  return pointwise_loss(logits, target, Pointwise::Bce, "bce_with_logits");
}

Tensor l2_normalize(const Tensor& x, int dim, float eps) {
  DimView v = dim_view(x.shape(), dim, "l2_normalize");
  Tensor y = Tensor::empty(x.shape());
  Tensor norm = Tensor::empty({std::max<int64_t>(v.items(), 1)});
  l2_normalize_forward(y.data(), norm.data(), x.data(), v, eps);
  if (should_record({x}))
    record(y, "l2_normalize", {x}, [x, norm, v, eps](const Tensor& y) {
      l2_normalize_backward(x.grad_data(), y.grad_data(), y.data(), norm.data(), v, eps);
    });
  return y;
}

Tensor cosine_similarity(const Tensor& a, const Tensor& b, int dim, float eps) {
  check_same_shape(a, b, "cosine_similarity");
  DimView v = dim_view(a.shape(), dim, "cosine_similarity");
  Tensor out = Tensor::empty(drop_dim(a.shape(), dim));
  cosine_similarity_forward(out.data(), a.data(), b.data(), v, eps);
  if (should_record({a, b}))
    record(out, "cosine_similarity", {a, b}, [a, b, v, eps](const Tensor& out) {
      cosine_similarity_backward(a.requires_grad() ? a.grad_data() : nullptr,
                                 b.requires_grad() ? b.grad_data() : nullptr, out.grad_data(), a.data(), b.data(),
                                 v, eps);
    });
  return out;
}

// Composed from the ops above, so its gradient comes from theirs.
Tensor feature_loss(const Tensor& f_target, const Tensor& f_pred) {
  if (f_target.rank() != 2 || f_target.shape() != f_pred.shape())
    throw Error("feature_loss: features " + f_target.shape().str() + " and " + f_pred.shape().str() +
                " must both be (N,D)");
  Tensor a = l2_normalize(f_target, 1), b = l2_normalize(f_pred, 1);
  Tensor one_minus_cos = add_scalar(scale(mean(cosine_similarity(a, b, 1)), -1.0f), 1.0f);
  return add(l1_loss(a, b), one_minus_cos);
}

}  // namespace ulr
