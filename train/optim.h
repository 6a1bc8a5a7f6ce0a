// Optimizers with PyTorch's update rules (torch.optim.SGD, Adam, AdamW) and gradient clipping
// by global norm. An optimizer takes one list of named parameters (leaf tensors with
// requires_grad, each with its share of the learning rate) and keeps its own state tensors,
// one per parameter, in the list's order. step() reads each parameter's gradient (a parameter
// without one is skipped) and updates the data in place, under NoGrad. Updates are
// elementwise, so results do not depend on threads.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/safetensors.h"
#include "engine/tensor.h"

namespace ulr {

struct NamedParameter {
  std::string name;       // unique in its list, e.g. "g.stem.weight": how its state is saved
  Tensor tensor;          // a leaf with requires_grad
  float lr_scale = 1.0f;  // this parameter's learning rate is lr_scale * lr (parameter groups)
};

struct SgdOptions {
  float lr = 0.01f, momentum = 0.0f, dampening = 0.0f, weight_decay = 0.0f;
  bool nesterov = false;
};

class Sgd {
 public:
  Sgd(std::vector<NamedParameter> params, SgdOptions opt);
  void step();
  void zero_grad();
  void set_lr(float lr) { opt_.lr = lr; }
  float lr() const { return opt_.lr; }
  // One per parameter; undefined until the parameter's first step with momentum.
  const std::vector<Tensor>& momentum_buffers() const { return momentum_; }

 private:
  std::vector<NamedParameter> params_;
  std::vector<Tensor> momentum_;  // allocated on first step
  SgdOptions opt_;
  bool started_ = false;
};

struct AdamOptions {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
  // false: Adam (L2 penalty added to the gradient); true: AdamW (decoupled: p *= 1 - lr*wd).
  bool decoupled_weight_decay = false;
};

class Adam {
 public:
  // Requires unique names. The moments start at zero, every step count at 0.
  Adam(std::vector<NamedParameter> params, AdamOptions opt);
  void step();
  void zero_grad();
  void set_lr(float lr) { opt_.lr = lr; }
  float lr() const { return opt_.lr; }
  // Sets lr_scale of every parameter whose name starts with `prefix`; returns how many.
  int set_lr_scale(const std::string& prefix, float scale);
  const std::vector<NamedParameter>& params() const { return params_; }
  int64_t steps() const { return t_; }  // calls to step()
  // Steps parameter i has taken (a parameter without a gradient does not step), which its bias
  // corrections use.
  int64_t param_steps(size_t i) const { return param_steps_[i]; }

  // The state, under `prefix` ("opt.net"): tensors PREFIX.exp_avg.NAME and PREFIX.exp_avg_sq.NAME
  // (F32, the parameter's shape), PREFIX.param_steps (I64, one per parameter in the list's
  // order) and metadata PREFIX.steps.
  void save_state(SafetensorsWriter& writer, const std::string& prefix) const;
  // Restores what save_state wrote for a list of the same names and shapes. Throws Error naming
  // the file and the entry when one is missing or does not fit; the state is unchanged then.
  void load_state(const SafetensorsFile& file, const std::string& prefix);

 private:
  std::vector<NamedParameter> params_;
  std::vector<Tensor> m_, v_;  // first and second moments, one per parameter
  std::vector<int64_t> param_steps_;
  AdamOptions opt_;
  int64_t t_ = 0;
};

// AdamW is Adam with decoupled weight decay (PyTorch's default weight_decay for AdamW is 0.01).
inline Adam AdamW(std::vector<NamedParameter> params, AdamOptions opt) {
  opt.decoupled_weight_decay = true;
  return Adam(std::move(params), opt);
}

// The learning rate of step t (0-based) of `length`: linear warmup over the first `warmup`
// steps (base * (t+1) / warmup), then, when `cosine`, decay from base to 0 along half a cosine
// over the whole length (base * (1 + cos(pi t / length)) / 2); constant otherwise.
float scheduled_lr(float base, int64_t t, int64_t length, int64_t warmup, bool cosine);

// Scales all gradients so that their global L2 norm is at most max_norm, as
// torch.nn.utils.clip_grad_norm_ (coefficient max_norm / (norm + 1e-6), clamped to 1).
// Returns the norm before clipping. Parameters without a gradient are skipped.
float clip_grad_norm(const std::vector<NamedParameter>& params, float max_norm);

}  // namespace ulr
