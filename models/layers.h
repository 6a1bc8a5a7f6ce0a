// Parameter store and the layers the models are built from. A layer holds handles to its
// parameters (which live in the model's ParamStore under their module path, e.g.
// "g.stem.weight") and a forward that calls the ops. An optional Trace records, per layer,
// the output shape, parameter count and multiply-add FLOPs (2 per MAC), which is how
// `ulrseg inspect` and `train --dry-run` report a model's cost.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/safetensors.h"
#include "engine/tensor.h"
#include "ops/ops.h"

namespace ulr {

struct LayerRecord {
  std::string name;  // module path, e.g. "s.enc2.conv1"
  std::string op;    // "conv2d 3x3/2", "attention", ...
  Shape out;         // output shape
  int64_t flops = 0;
  int64_t params = 0;
};

struct Trace {
  std::vector<LayerRecord> layers;
  void add(const std::string& name, const std::string& op, const Shape& out, int64_t flops,
           int64_t params) {
    layers.push_back({name, op, out, flops, params});
  }
  int64_t total_flops() const;
  // A table: name, op, output shape, params, MFLOP; one line per layer plus a total.
  std::string table() const;
};

struct NamedTensor {
  std::string name;
  Tensor tensor;
  bool trainable;  // parameters: true; buffers (running stats, power-iteration vectors): false
};

// Named parameters and buffers of one model, in registration order.
class ParamStore {
 public:
  // Registers a trainable parameter (requires_grad set). Names must be unique.
  Tensor add(const std::string& name, Tensor t);
  // Registers a buffer: saved and loaded with the weights, never trained.
  Tensor add_buffer(const std::string& name, Tensor t);

  std::vector<Tensor> parameters() const;  // trainable ones, in order
  const std::vector<NamedTensor>& all() const { return items_; }
  int64_t num_parameters() const;          // trainable elements
  const NamedTensor* find(const std::string& name) const;

  void save_to(SafetensorsWriter& writer) const;
  // Loads every tensor by name. Throws Error naming the file and the tensor when one is absent
  // or its shape differs ("weights/x.safetensors: tensor "g.stem.weight" has shape [48,3,3,3],
  // model expects [32,3,3,3]").
  // `prefix` is prepended to every name looked up (e.g. "teacher/").
  void load_from(const SafetensorsFile& file, const std::string& prefix = "");
  // Copies values from another store with the same names and shapes (e.g. an EMA or a teacher).
  void copy_from(const ParamStore& other);

 private:
  std::vector<NamedTensor> items_;
};

// PyTorch's default initialisation for conv and linear layers: weights and biases uniform in
// +-1/sqrt(fan_in).
Tensor init_uniform_fan_in(const Shape& shape, int64_t fan_in, Rng& rng);

struct Conv2dLayer {
  std::string name;
  Tensor weight, bias;  // (OC, C/groups, K, K), (OC) or undefined
  Conv2dOptions opt;
  Conv2dLayer() = default;
  Conv2dLayer(ParamStore& store, const std::string& name, int in, int out, int kernel, int stride,
              int pad, Rng& rng, bool with_bias = true, int groups = 1);
  Tensor operator()(const Tensor& x, Trace* trace) const;  // (N,C,H,W) -> (N,OC,OH,OW)
};

struct LinearLayer {
  std::string name;
  Tensor weight, bias;  // (OUT, IN), (OUT)
  LinearLayer() = default;
  LinearLayer(ParamStore& store, const std::string& name, int in, int out, Rng& rng);
  Tensor operator()(const Tensor& x, Trace* trace) const;  // (..., IN) -> (..., OUT)
};

struct GroupNormLayer {
  std::string name;
  Tensor weight, bias;  // (C)
  int groups = 1;
  GroupNormLayer() = default;
  GroupNormLayer(ParamStore& store, const std::string& name, int channels, int groups);
  Tensor operator()(const Tensor& x, Trace* trace) const;
  Tensor relu(const Tensor& x, Trace* trace) const;  // relu(norm(x)), fused (group_norm_relu)
};

// Pre-norm self-attention over the H*W positions of a feature map, with a residual:
// x + reshape(MHA(LayerNorm(tokens(x)))). Gives every position global context.
struct SpatialAttention {
  std::string name;
  Tensor norm_weight, norm_bias;                         // (C)
  Tensor in_proj_weight, in_proj_bias;                   // (3C, C), (3C)
  Tensor out_proj_weight, out_proj_bias;                 // (C, C), (C)
  int heads = 1;
  SpatialAttention() = default;
  SpatialAttention(ParamStore& store, const std::string& name, int channels, int heads, Rng& rng);
  Tensor operator()(const Tensor& x, Trace* trace) const;  // (N,C,H,W) -> (N,C,H,W)
};

// A conv whose weight is divided by its spectral norm (one power iteration per training
// forward; u and v are buffers), as torch.nn.utils.spectral_norm.
struct SpectralConv2dLayer {
  std::string name;
  Tensor weight, bias, u, v;
  Conv2dOptions opt;
  SpectralConv2dLayer() = default;
  SpectralConv2dLayer(ParamStore& store, const std::string& name, int in, int out, int kernel,
                      int stride, int pad, Rng& rng);
  Tensor operator()(const Tensor& x, bool training, Trace* trace) const;
};

struct SpectralLinearLayer {
  std::string name;
  Tensor weight, bias, u, v;
  SpectralLinearLayer() = default;
  SpectralLinearLayer(ParamStore& store, const std::string& name, int in, int out, Rng& rng);
  Tensor operator()(const Tensor& x, bool training, Trace* trace) const;
};

}  // namespace ulr
