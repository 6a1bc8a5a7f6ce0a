// Optimizers with PyTorch's update rules (torch.optim.SGD, Adam, AdamW) and gradient clipping
// by global norm. An optimizer holds handles to the parameters (leaf tensors with
// requires_grad) and its own state tensors, one per parameter, in the parameters' order.
// step() reads each parameter's gradient (a parameter without one is skipped) and updates the
// data in place, under NoGrad. Updates are elementwise, so results do not depend on threads.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/tensor.h"

namespace ulr {

struct SgdOptions {
  float lr = 0.01f, momentum = 0.0f, dampening = 0.0f, weight_decay = 0.0f;
  bool nesterov = false;
};

class Sgd {
 public:
  Sgd(std::vector<Tensor> params, SgdOptions opt);
  void step();
  void zero_grad();
  void set_lr(float lr) { opt_.lr = lr; }
  float lr() const { return opt_.lr; }
  std::vector<Tensor>& momentum_buffers() { return momentum_; }  // for checkpoints

 private:
  std::vector<Tensor> params_;
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
  Adam(std::vector<Tensor> params, AdamOptions opt);
  void step();
  void zero_grad();
  void set_lr(float lr) { opt_.lr = lr; }
  float lr() const { return opt_.lr; }
  // Per-parameter multipliers of lr (parameter groups); empty = 1 for all.
  void set_lr_scales(std::vector<float> scales);
  int64_t steps() const { return t_; }  // calls to step()
  void set_steps(int64_t t) { t_ = t; }
  // Steps each parameter has taken (a parameter without a gradient does not step), which its
  // bias corrections use. For checkpoints.
  std::vector<int64_t>& param_steps() { return param_steps_; }
  const std::vector<int64_t>& param_steps() const { return param_steps_; }
  // State for checkpoints: first and second moments, one per parameter, same shapes.
  std::vector<Tensor>& exp_avg() { return m_; }
  std::vector<Tensor>& exp_avg_sq() { return v_; }
  const std::vector<Tensor>& exp_avg() const { return m_; }
  const std::vector<Tensor>& exp_avg_sq() const { return v_; }
  const std::vector<Tensor>& params() const { return params_; }

 private:
  std::vector<Tensor> params_;
  std::vector<Tensor> m_, v_;
  std::vector<int64_t> param_steps_;
  std::vector<float> lr_scales_;
  AdamOptions opt_;
  int64_t t_ = 0;
};

// AdamW is Adam with decoupled weight decay (PyTorch's default weight_decay for AdamW is 0.01).
inline Adam AdamW(std::vector<Tensor> params, AdamOptions opt) {
  opt.decoupled_weight_decay = true;
  return Adam(std::move(params), opt);
}

// Scales all gradients so that their global L2 norm is at most max_norm, as
// torch.nn.utils.clip_grad_norm_ (coefficient max_norm / (norm + 1e-6), clamped to 1).
// Returns the norm before clipping. Parameters without a gradient are skipped.
float clip_grad_norm(const std::vector<Tensor>& params, float max_norm);

}  // namespace ulr
