#include "models/layers.h"

#include <cmath>
#include <cstdio>
#include <set>

#include "engine/error.h"

namespace ulr {

std::string LayerRecord::label() const {
  const std::string sn = spectral ? " sn" : "";
  switch (kind) {
    case LayerKind::Conv2d: {
      std::string s = "conv " + std::to_string(kernel) + "x" + std::to_string(kernel);
      if (conv.stride != 1) s += "/" + std::to_string(conv.stride);
      if (conv.groups != 1) s += " g" + std::to_string(conv.groups);
      return s + sn;
    }
    case LayerKind::Linear: return "linear" + sn;
    case LayerKind::GroupNorm: return "group_norm";
    case LayerKind::Attention: return "attention " + std::to_string(in[2] * in[3]) + "tok";
    case LayerKind::PixelShuffle: return "pixel_shuffle";
  }
  return "?";
}

LayerRecord layer_record(const std::string& name, LayerKind kind, const Tensor& x, const Tensor& y,
                         int64_t params, int64_t flops) {
  LayerRecord r;
  r.name = name, r.kind = kind, r.in = x.shape(), r.out = y.shape();
  r.params = params, r.flops = flops;
  return r;
}

int64_t Trace::total_flops() const {
  int64_t total = 0;
  for (const LayerRecord& l : layers) total += l.flops;
  return total;
}

std::string Trace::table() const {
  std::string s;
  char line[256];
  std::snprintf(line, sizeof line, "%-28s %-18s %-18s %10s %10s\n", "layer", "op", "output",
                "params", "MFLOP");
  s += line;
  int64_t params = 0;
  for (const LayerRecord& l : layers) {
    std::snprintf(line, sizeof line, "%-28s %-18s %-18s %10lld %10.2f\n", l.name.c_str(),
                  l.label().c_str(), l.out.str().c_str(), (long long)l.params,
                  double(l.flops) / 1e6);
    s += line;
    params += l.params;
  }
  std::snprintf(line, sizeof line, "%-28s %-18s %-18s %10lld %10.2f\n", "total", "", "",
                (long long)params, double(total_flops()) / 1e6);
  s += line;
  return s;
}

// ---- ParamStore ---------------------------------------------------------------------------

Tensor ParamStore::add(const std::string& name, Tensor t) {
  ULR_CHECK(!find(name), "duplicate parameter " + name);
  t.set_requires_grad(true);
  items_.push_back({name, t, true});
  return t;
}

Tensor ParamStore::add_buffer(const std::string& name, Tensor t) {
  ULR_CHECK(!find(name), "duplicate buffer " + name);
  items_.push_back({name, t, false});
  return t;
}

std::vector<Tensor> ParamStore::parameters() const {
  std::vector<Tensor> out;
  for (const NamedTensor& p : items_)
    if (p.trainable) out.push_back(p.tensor);
  return out;
}

int64_t ParamStore::num_parameters() const {
  int64_t n = 0;
  for (const NamedTensor& p : items_)
    if (p.trainable) n += p.tensor.numel();
  return n;
}

const NamedTensor* ParamStore::find(const std::string& name) const {
  for (const NamedTensor& p : items_)
    if (p.name == name) return &p;
  return nullptr;
}

void ParamStore::save_to(SafetensorsWriter& writer) const {
  for (const NamedTensor& p : items_) writer.add(p.name, p.tensor);
}

void ParamStore::load_from(const SafetensorsFile& file, const std::string& prefix) {
  for (const NamedTensor& p : items_) {
    Tensor t = file.tensor(prefix + p.name, p.tensor.shape());
    p.tensor.copy_from(t);
  }
}

void ParamStore::copy_from(const ParamStore& other) {
  for (const NamedTensor& p : items_) {
    const NamedTensor* o = other.find(p.name);
    ULR_CHECK(o && o->tensor.shape() == p.tensor.shape(), "copy_from: no matching " + p.name);
    p.tensor.copy_from(o->tensor);
  }
}

Tensor init_uniform_fan_in(const Shape& shape, int64_t fan_in, Rng& rng) {
  float bound = 1.0f / std::sqrt(float(fan_in));
  return Tensor::uniform(shape, rng, -bound, bound);
}

// ---- layers -------------------------------------------------------------------------------

static int64_t numel_or_zero(const Tensor& t) { return t.defined() ? t.numel() : 0; }

// Conv2dLayer and SpectralConv2dLayer: x (N,C,H,W) -> y (N,OC,OH,OW) with weight
// (OC,C/groups,K,K); 2 * N*OC*OH*OW * (C/groups)*K*K FLOPs.
static LayerRecord conv_record(const std::string& name, const Tensor& x, const Tensor& y,
                               const Tensor& weight, const Tensor& bias, Conv2dOptions opt,
                               bool spectral) {
  LayerRecord r = layer_record(name, LayerKind::Conv2d, x, y, weight.numel() + numel_or_zero(bias),
                               2 * y.numel() * (weight.numel() / weight.size(0)));
  r.spectral = spectral, r.kernel = int(weight.size(2)), r.conv = opt;
  return r;
}

// LinearLayer and SpectralLinearLayer: x (..., IN) -> y (..., OUT), 2 * numel(y) * IN FLOPs.
static LayerRecord linear_record(const std::string& name, const Tensor& x, const Tensor& y,
                                 const Tensor& weight, const Tensor& bias, bool spectral) {
  LayerRecord r = layer_record(name, LayerKind::Linear, x, y, weight.numel() + bias.numel(),
                               2 * y.numel() * weight.size(1));
  r.spectral = spectral;
  return r;
}

Conv2dLayer::Conv2dLayer(ParamStore& store, const std::string& name_, int in, int out, int kernel,
                         int stride, int pad, Rng& rng, bool with_bias, int groups)
    : name(name_) {
  int64_t fan_in = int64_t(in / groups) * kernel * kernel;
  weight = store.add(name + ".weight", init_uniform_fan_in({out, in / groups, kernel, kernel}, fan_in, rng));
  if (with_bias) bias = store.add(name + ".bias", init_uniform_fan_in({out}, fan_in, rng));
  opt.stride = stride, opt.pad = pad, opt.groups = groups;
}

Tensor Conv2dLayer::operator()(const Tensor& x, Trace* trace) const {
  Tensor y = conv2d(x, weight, bias, opt);
  if (trace) trace->add(conv_record(name, x, y, weight, bias, opt, /*spectral=*/false));
  return y;
}

LinearLayer::LinearLayer(ParamStore& store, const std::string& name_, int in, int out, Rng& rng)
    : name(name_) {
  weight = store.add(name + ".weight", init_uniform_fan_in({out, in}, in, rng));
  bias = store.add(name + ".bias", init_uniform_fan_in({out}, in, rng));
}

Tensor LinearLayer::operator()(const Tensor& x, Trace* trace) const {
  Tensor y = linear(x, weight, bias);
  if (trace) trace->add(linear_record(name, x, y, weight, bias, /*spectral=*/false));
  return y;
}

// x -> y (N,C,...), weight and bias (C); 8 FLOPs per element (statistics, normalise, affine).
static LayerRecord group_norm_record(const std::string& name, const Tensor& x, const Tensor& y,
                                     const Tensor& weight, int groups) {
  LayerRecord r = layer_record(name, LayerKind::GroupNorm, x, y, 2 * weight.numel(), 8 * y.numel());
  r.norm_groups = groups;
  return r;
}

GroupNormLayer::GroupNormLayer(ParamStore& store, const std::string& name_, int channels, int groups_)
    : name(name_), groups(groups_) {
  weight = store.add(name + ".weight", Tensor::full({channels}, 1.0f));
  bias = store.add(name + ".bias", Tensor::zeros({channels}));
}

Tensor GroupNormLayer::operator()(const Tensor& x, Trace* trace) const {
  Tensor y = group_norm(x, groups, weight, bias);
  if (trace) trace->add(group_norm_record(name, x, y, weight, groups));
  return y;
}

Tensor GroupNormLayer::relu(const Tensor& x, Trace* trace) const {
  Tensor y = group_norm_relu(x, groups, weight, bias);
  if (trace) trace->add(group_norm_record(name, x, y, weight, groups));
  return y;
}

SpatialAttention::SpatialAttention(ParamStore& store, const std::string& name_, int channels,
                                   int heads_, Rng& rng)
    : name(name_), heads(heads_) {
  if (channels % heads) throw Error(name + ": " + std::to_string(channels) +
                                    " channels do not split into " + std::to_string(heads) + " heads");
  norm_weight = store.add(name + ".norm.weight", Tensor::full({channels}, 1.0f));
  norm_bias = store.add(name + ".norm.bias", Tensor::zeros({channels}));
  // torch.nn.MultiheadAttention: xavier-uniform in_proj, zero biases.
  float bound = std::sqrt(6.0f / float(channels + 3 * channels));
  in_proj_weight = store.add(name + ".attn.in_proj_weight", Tensor::uniform({3 * channels, channels}, rng, -bound, bound));
  in_proj_bias = store.add(name + ".attn.in_proj_bias", Tensor::zeros({3 * channels}));
  out_proj_weight = store.add(name + ".attn.out_proj.weight", init_uniform_fan_in({channels, channels}, channels, rng));
  out_proj_bias = store.add(name + ".attn.out_proj.bias", Tensor::zeros({channels}));
}

Tensor SpatialAttention::operator()(const Tensor& x, Trace* trace) const {
  if (x.rank() != 4 || x.size(1) != norm_weight.size(0))
    throw Error(name + ": input has shape " + x.shape().str() + ", expected (N," +
                std::to_string(norm_weight.size(0)) + ",H,W)");
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), T = H * W;
  Tensor tokens = reshape(permute(x, {0, 2, 3, 1}), {N, T, C});  // (N,T,C)
  Tensor attended = multi_head_attention(layer_norm(tokens, norm_weight, norm_bias), in_proj_weight,
                                         in_proj_bias, out_proj_weight, out_proj_bias, heads);
  Tensor y = add(x, permute(reshape(attended, {N, H, W, C}), {0, 3, 1, 2}));
  if (trace) {
    int64_t flops = 2 * N * T * C * 4 * C + 2 * 2 * N * T * T * C;  // projections + QK^T and AV
    int64_t params = in_proj_weight.numel() + in_proj_bias.numel() + out_proj_weight.numel() +
                     out_proj_bias.numel() + 2 * C;
    LayerRecord r = layer_record(name, LayerKind::Attention, x, y, params, flops);
    r.heads = heads;
    trace->add(r);
  }
  return y;
}

// A unit vector of normal draws (as torch initialises u and v).
static Tensor random_unit(int64_t n, Rng& rng) {
  Tensor t = Tensor::randn({n}, rng);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += double(t.data()[i]) * t.data()[i];
  float inv = float(1.0 / std::max(std::sqrt(s), 1e-12));
  for (int64_t i = 0; i < n; ++i) t.data()[i] *= inv;
  return t;
}

SpectralConv2dLayer::SpectralConv2dLayer(ParamStore& store, const std::string& name_, int in, int out,
                                         int kernel, int stride, int pad, Rng& rng)
    : name(name_) {
  int64_t fan_in = int64_t(in) * kernel * kernel;
  weight = store.add(name + ".weight_orig", init_uniform_fan_in({out, in, kernel, kernel}, fan_in, rng));
  bias = store.add(name + ".bias", init_uniform_fan_in({out}, fan_in, rng));
  u = store.add_buffer(name + ".weight_u", random_unit(out, rng));
  v = store.add_buffer(name + ".weight_v", random_unit(fan_in, rng));
  opt.stride = stride, opt.pad = pad;
}

Tensor SpectralConv2dLayer::operator()(const Tensor& x, bool training, Trace* trace) const {
  Tensor y = conv2d(x, spectral_norm(weight, u, v, training), bias, opt);
  if (trace) trace->add(conv_record(name, x, y, weight, bias, opt, /*spectral=*/true));
  return y;
}

SpectralLinearLayer::SpectralLinearLayer(ParamStore& store, const std::string& name_, int in, int out, Rng& rng)
    : name(name_) {
  weight = store.add(name + ".weight_orig", init_uniform_fan_in({out, in}, in, rng));
  bias = store.add(name + ".bias", init_uniform_fan_in({out}, in, rng));
  u = store.add_buffer(name + ".weight_u", random_unit(out, rng));
  v = store.add_buffer(name + ".weight_v", random_unit(in, rng));
}

Tensor SpectralLinearLayer::operator()(const Tensor& x, bool training, Trace* trace) const {
  Tensor y = linear(x, spectral_norm(weight, u, v, training), bias);
  if (trace) trace->add(linear_record(name, x, y, weight, bias, /*spectral=*/true));
  return y;
}

}  // namespace ulr
