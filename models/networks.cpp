#include "models/networks.h"

#include "engine/error.h"

namespace ulr {

constexpr float kLeakySlope = 0.2f;

// ---- SRNet (G) ----------------------------------------------------------------------------

SRNet::SRNet(const ModelConfig& cfg, Rng& rng, const std::string& p) : cfg_(cfg) {
  cfg.validate("SRNet");
  const int C = cfg.g_channels;
  stem_ = Conv2dLayer(params_, p + ".stem", 3, C, 3, 1, 1, rng);
  for (int i = 0; i < cfg.g_blocks; ++i) {
    std::string b = p + ".blocks." + std::to_string(i);
    block_a_.emplace_back(params_, b + ".conv1", C, C, 3, 1, 1, rng);
    block_b_.emplace_back(params_, b + ".conv2", C, C, 3, 1, 1, rng);
  }
  attention_ = SpatialAttention(params_, p + ".attention", C, cfg.g_heads, rng);
  body_end_ = Conv2dLayer(params_, p + ".body_end", C, C, 3, 1, 1, rng);
  int in = C;
  for (int s = 0; s < cfg.up_stages(); ++s) {
    int out = cfg.g_up_channels[size_t(s)];
    up_.emplace_back(params_, p + ".up." + std::to_string(s), in, 4 * out, 3, 1, 1, rng);
    in = out;
  }
  out_ = Conv2dLayer(params_, p + ".out", in, 3, 3, 1, 1, rng);
}

Tensor SRNet::forward(const Tensor& x, Trace* trace) const {
  if (x.rank() != 4 || x.size(1) != 3 || x.size(2) != cfg_.in_h || x.size(3) != cfg_.in_w)
    throw Error("SRNet: input has shape " + x.shape().str() + ", model expects [N,3," +
                std::to_string(cfg_.in_h) + "," + std::to_string(cfg_.in_w) + "]");
  Tensor stem = stem_(x, trace);  // (N,C,h,w)
  Tensor f = stem;
  for (size_t i = 0; i < block_a_.size(); ++i)
    f = add(f, block_b_[i](leaky_relu(block_a_[i](f, trace), kLeakySlope), trace));
  f = attention_(f, trace);
  f = add(body_end_(f, trace), stem);  // long skip over the body
  for (const Conv2dLayer& up : up_) {
    Tensor wide = up(f, trace);                                  // (N,4c,h,w)
    f = leaky_relu(pixel_shuffle(wide, 2), kLeakySlope);         // (N,c,2h,2w)
    if (trace)  // no parameters; one FLOP per output element (the activation)
      trace->add(layer_record(up.name + ".shuffle", LayerKind::PixelShuffle, wide, f, 0, f.numel()));
  }
  Tensor base = resize_bilinear(x, cfg_.out_h(), cfg_.out_w());
  return add(out_(f, trace), base);
}

// ---- SegNet (S) ---------------------------------------------------------------------------

SegNet::SegNet(const ModelConfig& cfg, Rng& rng, const std::string& p) : cfg_(cfg) {
  cfg.validate("SegNet");
  const auto& c = cfg.s_channels;
  const int g = cfg.s_groups;
  stem_ = Conv2dLayer(params_, p + ".stem", 3, c[0], 3, 1, 1, rng);
  gn_stem_ = GroupNormLayer(params_, p + ".stem_norm", c[0], g);
  down1_ = Conv2dLayer(params_, p + ".down1", c[0], c[1], 3, 2, 1, rng);
  gn_down1_ = GroupNormLayer(params_, p + ".down1_norm", c[1], g);
  conv2_ = Conv2dLayer(params_, p + ".conv2", c[1], c[1], 3, 1, 1, rng);
  gn_conv2_ = GroupNormLayer(params_, p + ".conv2_norm", c[1], g);
  down2_ = Conv2dLayer(params_, p + ".down2", c[1], c[2], 3, 2, 1, rng);
  gn_down2_ = GroupNormLayer(params_, p + ".down2_norm", c[2], g);
  res3a_ = Conv2dLayer(params_, p + ".res3.conv1", c[2], c[2], 3, 1, 1, rng);
  gn_res3a_ = GroupNormLayer(params_, p + ".res3.norm1", c[2], g);
  res3b_ = Conv2dLayer(params_, p + ".res3.conv2", c[2], c[2], 3, 1, 1, rng);
  gn_res3b_ = GroupNormLayer(params_, p + ".res3.norm2", c[2], g);
  down3_ = Conv2dLayer(params_, p + ".down3", c[2], c[3], 3, 2, 1, rng);
  gn_down3_ = GroupNormLayer(params_, p + ".down3_norm", c[3], g);
  attention_ = SpatialAttention(params_, p + ".attention", c[3], cfg.s_heads, rng);
  up3_ = Conv2dLayer(params_, p + ".up3", c[3], 4 * c[2], 1, 1, 0, rng);
  fuse3_ = Conv2dLayer(params_, p + ".fuse3", c[2], c[2], 3, 1, 1, rng);
  gn_fuse3_ = GroupNormLayer(params_, p + ".fuse3_norm", c[2], g);
  up2_ = Conv2dLayer(params_, p + ".up2", c[2], 4 * c[1], 1, 1, 0, rng);
  fuse2_ = Conv2dLayer(params_, p + ".fuse2", c[1], c[1], 3, 1, 1, rng);
  gn_fuse2_ = GroupNormLayer(params_, p + ".fuse2_norm", c[1], g);
  up1_ = Conv2dLayer(params_, p + ".up1", c[1], 4 * c[0], 1, 1, 0, rng);
  fuse1_ = Conv2dLayer(params_, p + ".fuse1", c[0], c[0], 3, 1, 1, rng);
  gn_fuse1_ = GroupNormLayer(params_, p + ".fuse1_norm", c[0], g);
  head_ = Conv2dLayer(params_, p + ".head", c[0], cfg.num_classes, 1, 1, 0, rng);
}

std::vector<Tensor> SegNet::encode(const Tensor& x, Trace* trace) const {
  if (x.rank() != 4 || x.size(1) != 3 || x.size(2) % 8 || x.size(3) % 8)
    throw Error("SegNet: input has shape " + x.shape().str() +
                ", model expects [N,3,H,W] with H and W multiples of 8");
  Tensor e1 = gn_stem_.relu(stem_(x, trace), trace);                  // (N,c0,H,W)
  Tensor e2 = gn_down1_.relu(down1_(e1, trace), trace);               // (N,c1,H/2,W/2)
  e2 = add(e2, gn_conv2_.relu(conv2_(e2, trace), trace));
  Tensor e3 = gn_down2_.relu(down2_(e2, trace), trace);               // (N,c2,H/4,W/4)
  Tensor r = gn_res3a_.relu(res3a_(e3, trace), trace);
  e3 = relu(add(e3, gn_res3b_(res3b_(r, trace), trace)));
  Tensor e4 = gn_down3_.relu(down3_(e3, trace), trace);               // (N,c3,H/8,W/8)
  e4 = attention_(e4, trace);
  return {e1, e2, e3, e4};
}

SegOutput SegNet::forward(const Tensor& x, Trace* trace) const {
  std::vector<Tensor> e = encode(x, trace);
  // Decoder: 1x1 conv -> pixel_shuffle(2) doubles the size, add the skip, 3x3 conv fuses.
  Tensor d = add(pixel_shuffle(up3_(e[3], trace), 2), e[2]);
  d = gn_fuse3_.relu(fuse3_(d, trace), trace);                        // (N,c2,H/4,W/4)
  d = add(pixel_shuffle(up2_(d, trace), 2), e[1]);
  d = gn_fuse2_.relu(fuse2_(d, trace), trace);                        // (N,c1,H/2,W/2)
  d = add(pixel_shuffle(up1_(d, trace), 2), e[0]);
  d = gn_fuse1_.relu(fuse1_(d, trace), trace);                        // (N,c0,H,W)
  return {head_(d, trace), e};
}

Tensor agglomerated_features(const std::vector<Tensor>& features) {
  ULR_CHECK(!features.empty(), "agglomerated_features: no features");
  const Tensor& last = features.back();
  const int64_t N = last.size(0), h = last.size(2), w = last.size(3);
  std::vector<Tensor> parts;
  for (const Tensor& f : features) {
    int factor = int(f.size(2) / h);
    Tensor pooled = factor > 1 ? area_downsample(f, factor) : f;  // (N,C,h,w)
    parts.push_back(l2_normalize(pooled, 1));
  }
  Tensor all = concat(parts, 1);  // (N,D,h,w)
  const int64_t D = all.size(1);
  return reshape(permute(all, {0, 2, 3, 1}), {N * h * w, D});
}

// ---- SegAwareDiscriminator (SAD) ------------------------------------------------------------

SegAwareDiscriminator::SegAwareDiscriminator(const ModelConfig& cfg, Rng& rng, const std::string& p) {
  cfg.validate("SegAwareDiscriminator");
  int in = 3 + cfg.num_classes;
  for (size_t i = 0; i < cfg.d_channels.size(); ++i) {
    int c = cfg.d_channels[i];
    std::string b = p + ".blocks." + std::to_string(i);
    conv_a_.emplace_back(params_, b + ".conv1", in, c, 3, 1, 1, rng);
    conv_b_.emplace_back(params_, b + ".conv2", c, c, 3, 2, 1, rng);
    in = c;
  }
  fc_ = SpectralLinearLayer(params_, p + ".fc", in, 1, rng);
}

Tensor SegAwareDiscriminator::forward(const Tensor& image, const Tensor& probs, bool training,
                                      Trace* trace) const {
  Tensor f = concat({image, probs}, 1);  // (N,3+K,H,W)
  for (size_t i = 0; i < conv_a_.size(); ++i) {
    f = leaky_relu(conv_a_[i](f, training, trace), kLeakySlope);
    f = leaky_relu(conv_b_[i](f, training, trace), kLeakySlope);
  }
  return fc_(global_avg_pool(f), training, trace);  // (N,1)
}

void SegAwareDiscriminator::power_iteration() const {
  NoGrad no_grad;
  for (size_t i = 0; i < conv_a_.size(); ++i) {
    spectral_norm(conv_a_[i].weight, conv_a_[i].u, conv_a_[i].v, true);
    spectral_norm(conv_b_[i].weight, conv_b_[i].u, conv_b_[i].v, true);
  }
  spectral_norm(fc_.weight, fc_.u, fc_.v, true);
}

}  // namespace ulr
