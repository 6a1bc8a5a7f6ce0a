// The networks of the method:
//   SRNet (G)                   ULR (N,3,h,w) -> SR image (N,3,sh,sw)
//   SegNet (S)                  image (N,3,H,W) -> logits (N,K,H,W), plus encoder features
//   SegAwareDiscriminator (SAD) concat(image, class probabilities) -> one logit per image
//   agglomerated_features (AFE) several encoder layers of a frozen S, L2-normalised, pooled
//                               to H/8 and concatenated -> (N*(H/8)*(W/8), D) rows
// Each network owns a ParamStore whose names start with its prefix ("g.", "s.", "d.").
#pragma once
#include <string>
#include <vector>

#include "models/config.h"
#include "models/layers.h"

namespace ulr {

class SRNet {
 public:
  SRNet(const ModelConfig& cfg, Rng& rng, const std::string& prefix = "g");
  // ulr (N,3,h,w) in [0,1] -> (N,3,h*s,w*s): a learned residual over bilinear upsampling.
  Tensor forward(const Tensor& ulr, Trace* trace = nullptr) const;
  ParamStore& params() { return params_; }
  const ParamStore& params() const { return params_; }

 private:
  ModelConfig cfg_;
  ParamStore params_;
  Conv2dLayer stem_, body_end_, out_;
  std::vector<Conv2dLayer> block_a_, block_b_, up_;
  SpatialAttention attention_;
};

struct SegOutput {
  Tensor logits;                 // (N,K,H,W)
  std::vector<Tensor> features;  // encoder outputs at H, H/2, H/4, H/8
};

class SegNet {
 public:
  SegNet(const ModelConfig& cfg, Rng& rng, const std::string& prefix = "s");
  // image (N,3,H,W), H and W multiples of 8 -> logits (N,K,H,W) and encoder features.
  SegOutput forward(const Tensor& image, Trace* trace = nullptr) const;
  // Only the encoder (what the AFE needs): features at H, H/2, H/4, H/8.
  std::vector<Tensor> encode(const Tensor& image, Trace* trace = nullptr) const;
  ParamStore& params() { return params_; }
  const ParamStore& params() const { return params_; }

 private:
  ModelConfig cfg_;
  ParamStore params_;
  Conv2dLayer stem_, down1_, conv2_, down2_, res3a_, res3b_, down3_;
  GroupNormLayer gn_stem_, gn_down1_, gn_conv2_, gn_down2_, gn_res3a_, gn_res3b_, gn_down3_;
  SpatialAttention attention_;
  Conv2dLayer up3_, fuse3_, up2_, fuse2_, up1_, fuse1_, head_;
  GroupNormLayer gn_fuse3_, gn_fuse2_, gn_fuse1_;
};

// The AFE's features from an encoder's outputs: each map area-pooled to the coarsest size,
// L2-normalised along channels, concatenated, and laid out as rows (N*h*w, D).
Tensor agglomerated_features(const std::vector<Tensor>& encoder_features);

class SegAwareDiscriminator {
 public:
  SegAwareDiscriminator(const ModelConfig& cfg, Rng& rng, const std::string& prefix = "d");
  // image (N,3,H,W), probs (N,K,H,W) -> logits (N,1). `training` runs one power iteration per
  // spectral-normalised layer (and updates its u, v buffers).
  Tensor forward(const Tensor& image, const Tensor& probs, bool training, Trace* trace = nullptr) const;
  // The power iteration of forward(training = true) alone: every spectral layer's u and v
  // updated once, nothing computed. Followed by forward(training = false), the same outputs as
  // forward(training = true) bit for bit.
  void power_iteration() const;
  ParamStore& params() { return params_; }
  const ParamStore& params() const { return params_; }

 private:
  ParamStore params_;
  std::vector<SpectralConv2dLayer> conv_a_, conv_b_;
  SpectralLinearLayer fc_;
};

}  // namespace ulr
