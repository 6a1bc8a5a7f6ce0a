// torch.optim's update rules (PyTorch 1.13, single-tensor path), operation for operation, in
// float32 like torch's parameters; scalars that torch computes as Python floats (bias
// corrections, 1 - beta, 1 - lr*wd) are computed here in double and rounded once.
//
// torch's CPU kernels compute `a + alpha * b` (add with alpha, addcmul) as one fused
// multiply-add where the hardware has it; so do we, spelled out with fused() so that the
// rounding is the same in every build rather than left to the compiler's contraction.
//
// Each update is elementwise over fixed-size chunks (parallel_for), so the work done for an
// element never depends on the thread count: results are bit-identical for any --threads.
#include "train/optim.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "engine/error.h"
#include "engine/parallel.h"

namespace ulr {

namespace {

constexpr int64_t kGrain = 1 << 14;  // elements per chunk

// a * b + c, rounded once where the CPU has FMA (as torch's kernels), else twice.
inline float fused(float a, float b, float c) {
#ifdef __FMA__
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

// A hyperparameter as the decimal its user wrote: 0.9f -> 0.9 (not 0.89999997615814209).
// torch keeps hyperparameters as Python floats (doubles), so bias corrections such as
// 1 - 0.9^t match only if we start from the same double.
double as_decimal(float x) {
  char buf[32];
  for (int precision = 6; precision <= 9; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, double(x));
    if (std::strtof(buf, nullptr) == x) break;
  }
  return std::strtod(buf, nullptr);
}

// A parameter's learning rate: lr * lr_scale, as torch's parameter group computes it from two
// Python floats (a scale of 1 leaves lr as it is).
double scaled_lr(double lr, float lr_scale) { return lr_scale == 1.0f ? lr : lr * as_decimal(lr_scale); }

}  // namespace

// ---- SGD ----------------------------------------------------------------------------------

Sgd::Sgd(std::vector<NamedParameter> params, SgdOptions opt)
    : params_(std::move(params)), momentum_(params_.size()), opt_(opt) {}

void Sgd::step() {
  NoGrad no_grad;
  const float momentum = opt_.momentum, weight_decay = opt_.weight_decay;
  const float one_minus_dampening = float(1.0 - as_decimal(opt_.dampening));
  const bool nesterov = opt_.nesterov;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].tensor;
    if (!p.has_grad()) continue;
    const float lr_scale = params_[i].lr_scale;
    const float lr = lr_scale == 1.0f ? opt_.lr : float(scaled_lr(as_decimal(opt_.lr), lr_scale));
    // The first step copies the gradient into the buffer (torch: buf = clone(d_p)); later
    // steps blend into it. A buffer restored from a checkpoint counts as started.
    const bool first = momentum != 0 && !momentum_[i].defined();
    if (first) momentum_[i] = Tensor::zeros(p.shape());
    float* __restrict w = p.data();
    const float* __restrict g = p.grad_data();
    float* __restrict buf = momentum != 0 ? momentum_[i].data() : nullptr;
    parallel_for(p.numel(), kGrain, [&](int64_t begin, int64_t end) {
      for (int64_t j = begin; j < end; ++j) {
        float d = g[j];
        if (weight_decay != 0) d = fused(weight_decay, w[j], d);  // d_p.add(param, alpha=wd)
        if (momentum != 0) {
          // buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
          float b = first ? d : fused(one_minus_dampening, d, buf[j] * momentum);
          buf[j] = b;
          d = nesterov ? fused(momentum, b, d) : b;  // d_p.add(buf, alpha=momentum)
        }
        w[j] = fused(-lr, d, w[j]);  // param.add_(d_p, alpha=-lr)
      }
    });
  }
  started_ = true;
}

void Sgd::zero_grad() {
  for (const NamedParameter& p : params_) p.tensor.zero_grad();
}

// ---- Adam / AdamW -------------------------------------------------------------------------

Adam::Adam(std::vector<NamedParameter> params, AdamOptions opt)
    : params_(std::move(params)), param_steps_(params_.size(), 0), opt_(opt) {
  std::set<std::string> names;
  for (const NamedParameter& p : params_) {
    ULR_CHECK(names.insert(p.name).second, "Adam: parameter name " + p.name + " is not unique");
    m_.push_back(Tensor::zeros(p.tensor.shape()));
    v_.push_back(Tensor::zeros(p.tensor.shape()));
  }
}

int Adam::set_lr_scale(const std::string& prefix, float scale) {
  int count = 0;
  for (NamedParameter& p : params_)
    if (p.name.compare(0, prefix.size(), prefix) == 0) p.lr_scale = scale, ++count;
  return count;
}

void Adam::step() {
  NoGrad no_grad;
  ++t_;
  const double base_lr = as_decimal(opt_.lr), beta1 = as_decimal(opt_.beta1),
               beta2 = as_decimal(opt_.beta2), weight_decay = as_decimal(opt_.weight_decay);
  const float b1 = float(beta1), b2 = float(beta2);
  const float one_minus_b1 = float(1.0 - beta1), one_minus_b2 = float(1.0 - beta2);
  const float eps = opt_.eps;
  const bool decoupled = opt_.decoupled_weight_decay && weight_decay != 0;
  const float l2 = opt_.decoupled_weight_decay ? 0.0f : float(weight_decay);  // Adam: g += wd*p

  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].tensor;
    if (!p.has_grad()) continue;
    const double lr = scaled_lr(base_lr, params_[i].lr_scale);
    const float decay_factor = float(1.0 - lr * weight_decay);  // AdamW: param.mul_(1 - lr*wd)
    // Bias corrections count this parameter's own steps (as torch's per-parameter state), so a
    // parameter that joins later (S after G's pretraining) starts with a full correction.
    const int64_t t = ++param_steps_[i];
    const double bias_correction1 = 1.0 - std::pow(beta1, double(t));
    const double bias_correction2 = 1.0 - std::pow(beta2, double(t));
    const float step_size = float(lr / bias_correction1);
    const float bias_correction2_sqrt = float(std::sqrt(bias_correction2));
    float* __restrict w = p.data();
    const float* __restrict g = p.grad_data();
    float* __restrict m = m_[i].data();
    float* __restrict v = v_[i].data();
    parallel_for(p.numel(), kGrain, [&](int64_t begin, int64_t end) {
      for (int64_t j = begin; j < end; ++j) {
        float wj = w[j];
        if (decoupled) wj = wj * decay_factor;
        float gj = g[j];
        if (l2 != 0) gj = fused(l2, wj, gj);                        // grad.add(param, alpha=wd)
        float mj = fused(one_minus_b1, gj, m[j] * b1);              // exp_avg.mul_(b1).add_(g)
        float vj = fused(one_minus_b2 * gj, gj, v[j] * b2);         // exp_avg_sq ... addcmul_(g, g)
        float denom = std::sqrt(vj) / bias_correction2_sqrt + eps;  // no product: nothing to fuse
        m[j] = mj;
        v[j] = vj;
        w[j] = wj + (-step_size) * mj / denom;  // param.addcdiv_(m, denom, value=-step_size)
      }
    });
  }
}

void Adam::zero_grad() {
  for (const NamedParameter& p : params_) p.tensor.zero_grad();
}

void Adam::save_state(SafetensorsWriter& writer, const std::string& prefix) const {
  for (size_t i = 0; i < params_.size(); ++i) {
    writer.add(prefix + ".exp_avg." + params_[i].name, m_[i]);
    writer.add(prefix + ".exp_avg_sq." + params_[i].name, v_[i]);
  }
  writer.set_metadata(prefix + ".steps", std::to_string(t_));
  writer.add_i64(prefix + ".param_steps", {int64_t(param_steps_.size())}, param_steps_);
}

void Adam::load_state(const SafetensorsFile& file, const std::string& prefix) {
  const auto& md = file.metadata();
  auto steps = md.find(prefix + ".steps");
  if (steps == md.end()) throw Error(file.label() + ": lacks the optimizer step count " + prefix + ".steps");
  char* end = nullptr;
  const int64_t t = std::strtoll(steps->second.c_str(), &end, 10);
  if (steps->second.empty() || *end != '\0' || t < 0)
    throw Error(file.label() + ": " + prefix + ".steps is not a step count ('" + steps->second + "')");
  std::vector<int64_t> param_steps = file.integers(prefix + ".param_steps");
  if (param_steps.size() != params_.size())
    throw Error(file.label() + ": " + prefix + ".param_steps holds " + std::to_string(param_steps.size()) +
                " step counts, the optimizer has " + std::to_string(params_.size()) + " parameters");
  // Read everything before changing anything, so that a bad file leaves the state as it was.
  std::vector<Tensor> m, v;
  for (const NamedParameter& p : params_) {
    m.push_back(file.tensor(prefix + ".exp_avg." + p.name, p.tensor.shape()));
    v.push_back(file.tensor(prefix + ".exp_avg_sq." + p.name, p.tensor.shape()));
  }
  m_ = std::move(m);
  v_ = std::move(v);
  param_steps_ = std::move(param_steps);
  t_ = t;
}

// ---- Gradient clipping --------------------------------------------------------------------

float clip_grad_norm(const std::vector<NamedParameter>& params, float max_norm) {
  // Sum of squares in double: per chunk (eight fixed lanes), then chunks in order, then
  // parameters in order. The same additions happen for any thread count.
  double total = 0;
  for (const NamedParameter& named : params) {
    const Tensor& p = named.tensor;
    if (!p.has_grad()) continue;
    const float* g = p.grad_data();
    const int64_t n = p.numel();
    const int64_t chunks = (n + kGrain - 1) / kGrain;
    std::vector<double> partial(size_t(chunks), 0.0);
    parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
      double lane[8] = {};
      int64_t j = begin;
      for (; j + 8 <= end; j += 8)
        for (int k = 0; k < 8; ++k) lane[k] += double(g[j + k]) * double(g[j + k]);
      for (; j < end; ++j) lane[0] += double(g[j]) * double(g[j]);
      partial[size_t(begin / kGrain)] =
          ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
    });
    for (double s : partial) total += s;
  }
  const double norm = std::sqrt(total);
  const double coefficient = double(max_norm) / (norm + 1e-6);
  // torch multiplies by min(coefficient, 1); multiplying by 1 changes nothing, so skip it. A
  // NaN norm propagates into the gradients as it does in torch.
  if (!(coefficient >= 1.0)) {
    const float scale = float(coefficient);
    for (const NamedParameter& named : params) {
      const Tensor& p = named.tensor;
      if (!p.has_grad()) continue;
      float* __restrict g = p.grad_data();
      parallel_for(p.numel(), kGrain, [&](int64_t begin, int64_t end) {
        for (int64_t j = begin; j < end; ++j) g[j] *= scale;
      });
    }
  }
  return float(norm);
}

float scheduled_lr(float base, int64_t t, int64_t length, int64_t warmup, bool cosine) {
  float warm = warmup > 0 && t < warmup ? float(t + 1) / float(warmup) : 1.0f;
  if (!cosine || length <= 1) return base * warm;
  double progress = double(t) / double(length);
  return base * warm * float(0.5 * (1.0 + std::cos(M_PI * progress)));
}

}  // namespace ulr
