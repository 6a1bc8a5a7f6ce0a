// Normalisation layers: group_norm and layer_norm (statistics per sample), batch_norm
// (statistics per channel over the batch). Statistics are taken in double with two passes
// (mean, then mean squared deviation), so they are stable for large offsets.
//
// With xhat = (x - mean) * rstd, rstd = 1 / sqrt(var + eps), y = gamma * xhat + beta, and g = dy*gamma:
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat))    (statistics from the batch or sample)
//   dx = rstd * g                                         (fixed statistics: batch_norm eval)
//   dgamma[c] = sum dy * xhat,  dbeta[c] = sum dy         (over every element of channel c)
#include <cmath>
#include <vector>

#include "engine/error.h"
#include "engine/parallel.h"
#include "ops/ops.h"
#include "ops/reference.h"
#include "ops/row_kernels.h"

namespace ulr {
namespace {

constexpr int64_t kNormGrain = 1 << 14;  // elements per thread chunk (rounded to whole blocks)

// group_norm and layer_norm share one layout: `blocks` contiguous blocks of channels_per_group*spatial
// elements, each normalised on its own. Element j of block b belongs to channel
// (b % groups) * channels_per_group + j / spatial, the index into gamma and beta.
// group_norm: blocks = N*G, spatial = H*W...; layer_norm: blocks = rows, groups = 1, spatial = 1.
struct NormBlocks {
  int64_t blocks = 0, groups = 1, channels_per_group = 1, spatial = 1;
  int64_t length() const { return channels_per_group * spatial; }
  int64_t channel(int64_t b, int64_t cg) const { return (b % groups) * channels_per_group + cg; }
};

// Mean and biased variance of strided data: `count` runs of `run` contiguous values, `stride`
// apart. Two passes in double.
void moments(const float* x, int64_t count, int64_t run, int64_t stride, double* mean_out,
             double* var_out) {
  double s = 0;
  for (int64_t r = 0; r < count; ++r) {
    const float* p = x + r * stride;
    s += sum_terms(run, [p](int64_t i) { return double(p[i]); });
  }
  const double n = double(count * run), mean = s / n;
  double q = 0;
  for (int64_t r = 0; r < count; ++r) {
    const float* p = x + r * stride;
    q += sum_terms(run, [p, mean](int64_t i) {
      double d = p[i] - mean;
      return d * d;
    });
  }
  *mean_out = mean;
  *var_out = q / n;
}

// y[i] = x[i] * a + b over n contiguous values (the affine form of gamma * xhat + beta).
void scale_shift(float* y, const float* x, int64_t n, float a, float b) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * a + b;
}

// ---- group_norm / layer_norm: forward and backward kernels ----------------------------------

// y, x (blocks, length); gamma, beta (C) or null; mean, rstd (blocks) are saved for backward.
// relu: y = max(0, norm(x)), applied to each channel's run while it is in cache.
void block_norm_forward(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                        const float* beta, const NormBlocks& nb, float eps, bool relu) {
  const int64_t len = nb.length();
  parallel_for(nb.blocks, std::max<int64_t>(1, kNormGrain / std::max<int64_t>(len, 1)),
               [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      double m, var;
      moments(x + b * len, 1, len, 0, &m, &var);
      const double r = 1.0 / std::sqrt(var + double(eps));
      mean[b] = float(m);
      rstd[b] = float(r);
      for (int64_t cg = 0; cg < nb.channels_per_group; ++cg) {
        int64_t c = nb.channel(b, cg), off = b * len + cg * nb.spatial;
        double a = r * (gamma ? gamma[c] : 1.0f), shift = (beta ? beta[c] : 0.0f) - m * a;
        scale_shift(y + off, x + off, nb.spatial, float(a), float(shift));
        if (relu)
          for (int64_t i = 0; i < nb.spatial; ++i) y[off + i] = std::max(y[off + i], 0.0f);
      }
    }
  });
}

// dy[s] as it reaches the norm: 0 where the fused ReLU clipped its output y (y null: no ReLU).
inline float through_relu(const float* dy, const float* y, int64_t s) {
  return y && !(y[s] > 0.0f) ? 0.0f : dy[s];
}

// dx (blocks, length) += ...; dgamma, dbeta (C) += ... (either may be null). Per-block partial
// sums for dgamma/dbeta go to a buffer and are added in block order: deterministic. relu_out
// (the fused forward's output) or null: the gradient reaching the norm is dy where
// relu_out > 0 and 0 elsewhere, as relu's backward would have left it.

void block_norm_backward(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                         const float* mean, const float* rstd, const float* gamma,
                         const NormBlocks& nb, const float* relu_out) {
  const int64_t len = nb.length(), cpg = nb.channels_per_group;
  std::vector<double> partial_dgamma(size_t(nb.blocks * cpg)), partial_dbeta(size_t(nb.blocks * cpg));
  parallel_for(nb.blocks, std::max<int64_t>(1, kNormGrain / std::max<int64_t>(len, 1)),
               [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const float m = mean[b], r = rstd[b];
      double sum_g = 0, sum_gx = 0;
      for (int64_t cg = 0; cg < cpg; ++cg) {
        const int64_t c = nb.channel(b, cg), off = b * len + cg * nb.spatial;
        const float gc = gamma ? gamma[c] : 1.0f;
        const float* xc = x + off;
        const float* dyc = dy + off;
        const float* yc = relu_out ? relu_out + off : nullptr;
        const double sdy = sum_terms(nb.spatial, [dyc, yc](int64_t s) { return double(through_relu(dyc, yc, s)); });
        const double sdyx = sum_terms(nb.spatial, [dyc, yc, xc, m, r](int64_t s) {
          return double(through_relu(dyc, yc, s)) * (double(xc[s] - m) * r);
        });
        partial_dbeta[size_t(b * cpg + cg)] = sdy;
        partial_dgamma[size_t(b * cpg + cg)] = sdyx;
        sum_g += gc * sdy;
        sum_gx += gc * sdyx;
      }
      const float mean_g = float(sum_g / double(len)), mean_gx = float(sum_gx / double(len));
      if (!dx) continue;
      for (int64_t cg = 0; cg < cpg; ++cg) {
        const int64_t c = nb.channel(b, cg), off = b * len + cg * nb.spatial;
        const float gc = gamma ? gamma[c] : 1.0f;
        const float* yc = relu_out ? relu_out + off : nullptr;
        const float* dyc = dy + off;
        for (int64_t s = 0; s < nb.spatial; ++s) {
          float xhat = (x[off + s] - m) * r;
          dx[off + s] += r * (through_relu(dyc, yc, s) * gc - mean_g - xhat * mean_gx);
        }
      }
    }
  });
  for (int64_t b = 0; b < nb.blocks; ++b)
    for (int64_t cg = 0; cg < cpg; ++cg) {
      const int64_t c = nb.channel(b, cg);
      if (dgamma) dgamma[c] += float(partial_dgamma[size_t(b * cpg + cg)]);
      if (dbeta) dbeta[c] += float(partial_dbeta[size_t(b * cpg + cg)]);
    }
}

// ---- batch_norm: forward and backward kernels -----------------------------------------------
// x, y (N, C, S); per channel c the N runs of S values at n*C*S + c*S.

struct BatchView {
  int64_t n = 0, c = 0, s = 1;
};

// Normalises with mean/rstd (C). In training they are computed here from the batch (and the
// running statistics updated); in eval they are taken from the running statistics.
void batch_norm_forward(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                        const float* beta, float* running_mean, float* running_var,
                        const BatchView& v, bool training, float momentum, float eps) {
  const int64_t per_channel = v.n * v.s;
  parallel_for(v.c, std::max<int64_t>(1, kNormGrain / std::max<int64_t>(per_channel, 1)),
               [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      double m, var;
      if (training) {
        moments(x + c * v.s, v.n, v.s, v.c * v.s, &m, &var);
        if (running_mean)
          running_mean[c] = float((1.0 - momentum) * running_mean[c] + double(momentum) * m);
        if (running_var) {
          double unbiased = var * double(per_channel) / double(per_channel - 1);
          running_var[c] = float((1.0 - momentum) * running_var[c] + double(momentum) * unbiased);
        }
      } else {
        m = running_mean[c];
        var = running_var[c];
      }
      const double r = 1.0 / std::sqrt(var + double(eps));
      mean[c] = float(m);
      rstd[c] = float(r);
      const double a = r * (gamma ? gamma[c] : 1.0f), shift = (beta ? beta[c] : 0.0f) - m * a;
      for (int64_t i = 0; i < v.n; ++i) {
        const int64_t off = i * v.c * v.s + c * v.s;
        scale_shift(y + off, x + off, v.s, float(a), float(shift));
      }
    }
  });
}

void batch_norm_backward(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                         const float* mean, const float* rstd, const float* gamma,
                         const BatchView& v, bool training) {
  const int64_t per_channel = v.n * v.s;
  parallel_for(v.c, std::max<int64_t>(1, kNormGrain / std::max<int64_t>(per_channel, 1)),
               [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      const float m = mean[c], r = rstd[c], gc = gamma ? gamma[c] : 1.0f;
      double sdy = 0, sdyx = 0;
      for (int64_t i = 0; i < v.n; ++i)
        for (int64_t s = 0; s < v.s; ++s) {
          const int64_t o = i * v.c * v.s + c * v.s + s;
          sdy += dy[o];
          sdyx += dy[o] * (double(x[o] - m) * r);
        }
      if (dgamma) dgamma[c] += float(sdyx);
      if (dbeta) dbeta[c] += float(sdy);
      if (!dx) continue;
      const float mean_dy = training ? float(sdy / double(per_channel)) : 0.0f;
      const float mean_dyx = training ? float(sdyx / double(per_channel)) : 0.0f;
      for (int64_t i = 0; i < v.n; ++i)
        for (int64_t s = 0; s < v.s; ++s) {
          const int64_t o = i * v.c * v.s + c * v.s + s;
          float xhat = (x[o] - m) * r;
          dx[o] += gc * r * (dy[o] - mean_dy - xhat * mean_dyx);
        }
    }
  });
}

// ---- shape checks -------------------------------------------------------------------------

void check_affine(const Tensor& t, int64_t c, const char* op, const char* name, const Shape& xs) {
  if (t.defined() && (t.rank() != 1 || t.size(0) != c))
    throw Error(std::string(op) + ": " + name + " has shape " + t.shape().str() + ", expected [" +
                std::to_string(c) + "] for input " + xs.str());
}

NormBlocks group_norm_blocks(const Tensor& x, int groups, const Tensor& gamma, const Tensor& beta,
                             const char* op) {
  const Shape& s = x.shape();
  if (s.rank < 2) throw Error(std::string(op) + ": input " + s.str() + " must be (N,C,...)");
  if (groups < 1 || s[1] % groups != 0)
    throw Error(std::string(op) + ": " + std::to_string(groups) + " groups do not divide the " +
                std::to_string(s[1]) + " channels of " + s.str());
  check_affine(gamma, s[1], op, "gamma", s);
  check_affine(beta, s[1], op, "beta", s);
  NormBlocks nb;
  nb.blocks = s[0] * groups;
  nb.groups = groups;
  nb.channels_per_group = s[1] / groups;
  nb.spatial = s.numel() / std::max<int64_t>(s[0] * s[1], 1);
  return nb;
}

NormBlocks layer_norm_blocks(const Tensor& x, const Tensor& gamma, const Tensor& beta, const char* op) {
  const Shape& s = x.shape();
  if (s.rank < 1) throw Error(std::string(op) + ": input " + s.str() + " has no dims");
  check_affine(gamma, s[-1], op, "gamma", s);
  check_affine(beta, s[-1], op, "beta", s);
  NormBlocks nb;
  nb.channels_per_group = s[-1];
  nb.blocks = s[-1] ? s.numel() / s[-1] : 0;
  return nb;
}

BatchView batch_view(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                     const Tensor& running_var, bool training, const char* op) {
  const Shape& s = x.shape();
  if (s.rank < 2) throw Error(std::string(op) + ": input " + s.str() + " must be (N,C,...)");
  check_affine(gamma, s[1], op, "gamma", s);
  check_affine(beta, s[1], op, "beta", s);
  check_affine(running_mean, s[1], op, "running_mean", s);
  check_affine(running_var, s[1], op, "running_var", s);
  BatchView v;
  v.n = s[0];
  v.c = s[1];
  v.s = s.numel() / std::max<int64_t>(s[0] * s[1], 1);
  if (training && v.n * v.s < 2)
    throw Error(std::string(op) + ": training needs more than one value per channel, input " + s.str());
  if (!training && (!running_mean.defined() || !running_var.defined()))
    throw Error(std::string(op) + ": eval mode needs running_mean and running_var");
  return v;
}

}  // namespace

// ---- scalar reference ---------------------------------------------------------------------
namespace ref {

void group_norm(const Tensor& out, const Tensor& x, int groups, const Tensor& gamma,
                const Tensor& beta, float eps) {
  NormBlocks nb = group_norm_blocks(x, groups, gamma, beta, "ref::group_norm");
  expect_shape("ref::group_norm", "out", out, x.shape());
  const int64_t len = nb.length();
  for (int64_t b = 0; b < nb.blocks; ++b) {
    double s = 0, q = 0;
    for (int64_t j = 0; j < len; ++j) s += x.data()[b * len + j];
    double m = s / double(len);
    for (int64_t j = 0; j < len; ++j) q += (x.data()[b * len + j] - m) * (x.data()[b * len + j] - m);
    double r = 1.0 / std::sqrt(q / double(len) + eps);
    for (int64_t j = 0; j < len; ++j) {
      int64_t c = nb.channel(b, j / nb.spatial);
      double g = gamma.defined() ? gamma.data()[c] : 1.0, bt = beta.defined() ? beta.data()[c] : 0.0;
      out.data()[b * len + j] = float((x.data()[b * len + j] - m) * r * g + bt);
    }
  }
}

// A group norm of one group over each row of (rows, 1, C), then the affine map.
void layer_norm(const Tensor& out, const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps) {
  layer_norm_blocks(x, gamma, beta, "ref::layer_norm");
  expect_shape("ref::layer_norm", "out", out, x.shape());
  Shape s({x.numel() / x.shape()[-1], 1, x.shape()[-1]});
  Tensor y = out.view(s);
  ref::group_norm(y, x.view(s), 1, Tensor(), Tensor(), eps);
  for (int64_t i = 0; i < y.numel(); ++i) {
    int64_t c = i % s[2];
    y.data()[i] = y.data()[i] * (gamma.defined() ? gamma.data()[c] : 1.0f) + (beta.defined() ? beta.data()[c] : 0.0f);
  }
}

void batch_norm(const Tensor& out, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                const Tensor& running_mean, const Tensor& running_var, bool training,
                float momentum, float eps) {
  BatchView v = batch_view(x, gamma, beta, running_mean, running_var, training, "ref::batch_norm");
  expect_shape("ref::batch_norm", "out", out, x.shape());
  auto at = [&](int64_t i, int64_t c, int64_t s) { return (i * v.c + c) * v.s + s; };
  for (int64_t c = 0; c < v.c; ++c) {
    double m = 0, var = 0;
    const double count = double(v.n * v.s);
    if (training) {
      for (int64_t i = 0; i < v.n; ++i)
        for (int64_t s = 0; s < v.s; ++s) m += x.data()[at(i, c, s)];
      m /= count;
      for (int64_t i = 0; i < v.n; ++i)
        for (int64_t s = 0; s < v.s; ++s) var += (x.data()[at(i, c, s)] - m) * (x.data()[at(i, c, s)] - m);
      var /= count;
      if (running_mean.defined())
        running_mean.data()[c] = float((1 - momentum) * running_mean.data()[c] + momentum * m);
      if (running_var.defined())
        running_var.data()[c] = float((1 - momentum) * running_var.data()[c] + momentum * var * count / (count - 1));
    } else {
      m = running_mean.data()[c];
      var = running_var.data()[c];
    }
    double g = gamma.defined() ? gamma.data()[c] : 1.0, bt = beta.defined() ? beta.data()[c] : 0.0;
    for (int64_t i = 0; i < v.n; ++i)
      for (int64_t s = 0; s < v.s; ++s)
        out.data()[at(i, c, s)] = float((x.data()[at(i, c, s)] - m) / std::sqrt(var + eps) * g + bt);
  }
}

}  // namespace ref

// ---- autograd glue ------------------------------------------------------------------------

namespace {

Tensor block_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const NormBlocks& nb,
                  float eps, const char* op, bool relu = false) {
  Tensor y = Tensor::empty(x.shape());
  Tensor mean = Tensor::empty({std::max<int64_t>(nb.blocks, 1)}), rstd = Tensor::empty({std::max<int64_t>(nb.blocks, 1)});
  block_norm_forward(y.data(), mean.data(), rstd.data(), x.data(), gamma.defined() ? gamma.data() : nullptr,
                     beta.defined() ? beta.data() : nullptr, nb, eps, relu);
  if (should_record({x, gamma, beta}))
    record(y, op, {x, gamma, beta}, [x, gamma, beta, nb, mean, rstd, relu](const Tensor& y) {
      block_norm_backward(x.requires_grad() ? x.grad_data() : nullptr,
                          gamma.requires_grad() ? gamma.grad_data() : nullptr,
                          beta.requires_grad() ? beta.grad_data() : nullptr, y.grad_data(), x.data(),
                          mean.data(), rstd.data(), gamma.defined() ? gamma.data() : nullptr, nb,
                          relu ? y.data() : nullptr);
    });
  return y;
}

}  // namespace

Tensor group_norm(const Tensor& x, int groups, const Tensor& gamma, const Tensor& beta, float eps) {
  return block_norm(x, gamma, beta, group_norm_blocks(x, groups, gamma, beta, "group_norm"), eps, "group_norm");
}

Tensor group_norm_relu(const Tensor& x, int groups, const Tensor& gamma, const Tensor& beta, float eps) {
  return block_norm(x, gamma, beta, group_norm_blocks(x, groups, gamma, beta, "group_norm_relu"), eps,
                    "group_norm_relu", true);
}

Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps) {
  return block_norm(x, gamma, beta, layer_norm_blocks(x, gamma, beta, "layer_norm"), eps, "layer_norm");
}

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                  const Tensor& running_var, bool training, float momentum, float eps) {
  BatchView v = batch_view(x, gamma, beta, running_mean, running_var, training, "batch_norm");
  Tensor y = Tensor::empty(x.shape());
  Tensor mean = Tensor::empty({v.c}), rstd = Tensor::empty({v.c});
  batch_norm_forward(y.data(), mean.data(), rstd.data(), x.data(), gamma.defined() ? gamma.data() : nullptr,
                     beta.defined() ? beta.data() : nullptr,
                     running_mean.defined() ? running_mean.data() : nullptr,
                     running_var.defined() ? running_var.data() : nullptr, v, training, momentum, eps);
  if (should_record({x, gamma, beta}))
    record(y, "batch_norm", {x, gamma, beta}, [x, gamma, beta, v, mean, rstd, training](const Tensor& y) {
      batch_norm_backward(x.requires_grad() ? x.grad_data() : nullptr,
                          gamma.requires_grad() ? gamma.grad_data() : nullptr,
                          beta.requires_grad() ? beta.grad_data() : nullptr, y.grad_data(), x.data(),
                          mean.data(), rstd.data(), gamma.defined() ? gamma.data() : nullptr, v, training);
    });
  return y;
}

}  // namespace ulr
