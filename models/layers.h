// Parameter store and the layers the models are built from. A layer holds handles to its
// parameters (which live in the model's ParamStore under their module path, e.g.
// "g.stem.weight") and a forward that calls the ops. An optional Trace records, per layer call,
// what the layer is (kind, conv geometry), its input and output shapes, parameter count and
// multiply-add FLOPs (2 per MAC): `ulrseg inspect` and `train --dry-run` print it as a table,
// `ulrseg bench` finds the model's convolutions in it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/safetensors.h"
#include "engine/tensor.h"
#include "ops/ops.h"

namespace ulr {

enum class LayerKind { Conv2d, Linear, GroupNorm, Attention, PixelShuffle };

// One layer call of a traced forward. Programs read the typed fields; label() is for people.
struct LayerRecord {
  std::string name;                    // module path, e.g. "s.down1"
  LayerKind kind = LayerKind::Conv2d;
  bool spectral = false;               // conv, linear: weight divided by its spectral norm
  int kernel = 0;                      // conv: side of the square kernel (KH = KW)
  Conv2dOptions conv;                  // conv: stride, pad, dilation, groups
  int norm_groups = 0;                 // group_norm: groups
  int heads = 0;                       // attention: heads
  Shape in, out;                       // e.g. conv (N,C,H,W) -> (N,OC,OH,OW)
  int64_t params = 0;                  // trainable elements the layer holds
  int64_t flops = 0;                   // over the whole batch
  // "conv 3x3", "conv 3x3/2", "conv 3x3 g4", "conv 3x3/2 sn", "linear", "linear sn",
  // "group_norm", "attention 256tok" (tokens = H*W), "pixel_shuffle".
  std::string label() const;
};

// The record of a call x -> y, conv fields at their defaults.
LayerRecord layer_record(const std::string& name, LayerKind kind, const Tensor& x, const Tensor& y,
                         int64_t params, int64_t flops);

struct Trace {
  std::vector<LayerRecord> layers;  // in call order
  void add(LayerRecord record) { layers.push_back(std::move(record)); }
  int64_t total_flops() const;
  // A table: name, label, output shape, params, MFLOP; one line per layer plus a total.
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

// ---- layers ---------------------------------------------------------------------------------
// Common to every layer below:
//   - operator() is const and never modifies its input or its parameters: the output is a new
//     tensor, never a view of x (attention's residual too). The one exception is the spectral
//     layers' u and v in training, below. Layers hold handles: a copy shares the parameters.
//   - Under grad mode, backward() accumulates (+=) into the gradients of the parameters and of
//     x (those that require grad); under NoGrad nothing is recorded.
//   - trace: when not null, exactly one LayerRecord is appended per call (see each layer's
//     kind); null costs nothing.
//   - Shape errors throw ulr::Error from the op, naming the op and the shapes (e.g. "conv2d:
//     input [1,4,16,16], weight [48,3,3,3]: ..."). Construction registers the parameters
//     under `name` + ".weight" etc. and throws Error when a name is already in the store.

// Convolution with square kernels and zero padding, as torch.nn.Conv2d.
//   requires: x (N,C,H,W) with C = `in`, H + 2*pad >= kernel (and W).
//   ensures:  returns (N,OC,OH,OW), OC = `out`, OH = (H + 2*pad - kernel) / stride + 1.
//             Parameters weight (OC, C/groups, K, K) and bias (OC) (when with_bias), uniform
//             in +-1/sqrt(fan_in). Trace: Conv2d with kernel, conv = {stride, pad, 1, groups},
//             params = weight + bias, flops = 2 * N*OC*OH*OW * (C/groups)*K*K.
struct Conv2dLayer {
  std::string name;
  Tensor weight, bias;  // (OC, C/groups, K, K), (OC) or undefined
  Conv2dOptions opt;
  Conv2dLayer() = default;
  Conv2dLayer(ParamStore& store, const std::string& name, int in, int out, int kernel, int stride,
              int pad, Rng& rng, bool with_bias = true, int groups = 1);
  Tensor operator()(const Tensor& x, Trace* trace) const;  // (N,C,H,W) -> (N,OC,OH,OW)
};

// y = x W^T + b over the last dim, as torch.nn.Linear.
//   requires: x (..., IN), IN = `in`.
//   ensures:  returns (..., OUT). Parameters weight (OUT, IN), bias (OUT), uniform in
//             +-1/sqrt(IN). Trace: Linear, params = weight + bias, flops = 2 * numel(y) * IN.
struct LinearLayer {
  std::string name;
  Tensor weight, bias;  // (OUT, IN), (OUT)
  LinearLayer() = default;
  LinearLayer(ParamStore& store, const std::string& name, int in, int out, Rng& rng);
  Tensor operator()(const Tensor& x, Trace* trace) const;  // (..., IN) -> (..., OUT)
};

// Group normalisation with a per-channel affine, as torch.nn.GroupNorm (eps 1e-5; statistics
// per sample and group, over C/groups channels and all positions, computed in double).
//   requires: x (N,C,...) with C = `channels`; groups divides C (else Error at the call).
//   ensures:  returns the shape of x. Parameters weight (C) = 1 and bias (C) = 0 at
//             construction. No running statistics: training and eval compute the same thing.
//             relu(x) returns relu(operator()(x)) bit for bit, forward and backward, without
//             the intermediate tensor. Trace: GroupNorm with norm_groups, params = 2C,
//             flops = 8 * numel(y).
struct GroupNormLayer {
  std::string name;
  Tensor weight, bias;  // (C)
  int groups = 1;
  GroupNormLayer() = default;
  GroupNormLayer(ParamStore& store, const std::string& name, int channels, int groups);
  Tensor operator()(const Tensor& x, Trace* trace) const;  // (N,C,...) -> (N,C,...)
  Tensor relu(const Tensor& x, Trace* trace) const;        // relu(norm(x)), fused
};

// Pre-norm self-attention over the H*W positions of a feature map, with a residual:
// x + reshape(MHA(LayerNorm(tokens(x)))). Gives every position global context.
//   requires: x (N,C,H,W) with C = `channels` (else Error naming the layer).
//   ensures:  returns (N,C,H,W). Parameters: norm (C) = 1 / 0, in_proj (3C, C) xavier-uniform
//             with bias (3C) = 0, out_proj (C, C) uniform +-1/sqrt(C) with bias (C) = 0, as
//             torch.nn.MultiheadAttention; the constructor throws Error when heads does not
//             divide channels. Trace: one Attention record (with heads) for the block,
//             params = 4C^2 + 4C + 2C, flops = 2*N*T*C*4C (projections) + 4*N*T^2*C (QK^T, AV),
//             T = H*W.
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

// A conv whose weight is divided by its spectral norm, as torch.nn.utils.spectral_norm with
// one power iteration: weight "NAME.weight_orig" (OC, C, K, K) and bias (OC) are parameters,
// u (OC) "NAME.weight_u" and v (C*K*K) "NAME.weight_v" are buffers (saved, never trained),
// unit vectors of normal draws at construction.
//   requires: x (N,C,H,W) as Conv2dLayer (groups 1).
//   ensures:  returns conv2d(x, weight / sigma, bias), sigma = u . (W v) with W the weight
//             viewed as (OC, C*K*K). training (grad mode or not): first one power iteration
//             writes u and v in place (v = normalize(W^T u), u = normalize(W v)), so two calls see
//             different u, v, and two threads must not call one layer at once; eval: u, v as
//             they are, nothing written. The gradient reaches weight through sigma too; u and v
//             get none. Trace: as Conv2dLayer with spectral = true.
struct SpectralConv2dLayer {
  std::string name;
  Tensor weight, bias, u, v;  // (OC, C, K, K), (OC), (OC), (C*K*K)
  Conv2dOptions opt;
  SpectralConv2dLayer() = default;
  SpectralConv2dLayer(ParamStore& store, const std::string& name, int in, int out, int kernel,
                      int stride, int pad, Rng& rng);
  // (N,C,H,W) -> (N,OC,OH,OW)
  Tensor operator()(const Tensor& x, bool training, Trace* trace) const;
};

// A linear layer whose weight is divided by its spectral norm: the names, buffers, training
// update of u (OUT) and v (IN) and gradients as SpectralConv2dLayer.
//   requires: x (..., IN).
//   ensures:  returns linear(x, weight / sigma, bias), (..., OUT). Trace: as LinearLayer with
//             spectral = true.
struct SpectralLinearLayer {
  std::string name;
  Tensor weight, bias, u, v;  // (OUT, IN), (OUT), (OUT), (IN)
  SpectralLinearLayer() = default;
  SpectralLinearLayer(ParamStore& store, const std::string& name, int in, int out, Rng& rng);
  // (..., IN) -> (..., OUT)
  Tensor operator()(const Tensor& x, bool training, Trace* trace) const;
};

}  // namespace ulr
