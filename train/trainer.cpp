// TrainState: the networks, the method's losses as code, the two optimizers and checkpoints.
// The loop that drives it, and the run folder, are in train/run.cpp.
#include "train/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "data/classes.h"
#include "engine/distributed.h"
#include "engine/error.h"
#include "engine/safetensors.h"
#include "models/ulrnet.h"
#include "ops/ops.h"
#include "train/optim.h"

namespace ulr {

Tensor sad_real_segmentation(const Labels& labels, const Tensor& probs, float tau) {
  const int64_t B = labels.shape[0], HW = labels.shape[1] * labels.shape[2], K = probs.size(1);
  ULR_CHECK(probs.rank() == 4 && probs.size(0) == B && probs.size(2) * probs.size(3) == HW,
            "sad_real_segmentation: probabilities " + probs.shape().str() + " do not match the labels");
  Tensor t = Tensor::zeros(probs.shape());
  const float* s = probs.data();
  float* y = t.data();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < HW; ++i) {
      const int l = labels.data[size_t(b * HW + i)];
      if (l >= K) continue;  // ignored pixel: all zero
      const int64_t at = b * K * HW + i;
      const float sl = s[at + l * HW], yl = std::max(tau, sl);
      y[at + l * HW] = yl;
      if (yl >= 1.0f || sl >= 1.0f) continue;  // one-hot
      const float rest = (1.0f - yl) / (1.0f - sl);
      for (int64_t c = 0; c < K; ++c)
        if (c != l) y[at + c * HW] = s[at + c * HW] * rest;
    }
  return t;
}

Tensor sad_fake_segmentation(const Tensor& probs, bool hard) {
  if (!hard) return probs;
  ULR_CHECK(probs.rank() == 4, "sad_fake_segmentation: probabilities must be (B,K,H,W), got " + probs.shape().str());
  const int64_t B = probs.size(0), K = probs.size(1), HW = probs.size(2) * probs.size(3);
  // shift = one_hot(argmax) - probs, a constant: probs + shift has the one-hot's values and the
  // softmax's gradient (straight-through).
  Tensor shift = Tensor::zeros(probs.shape());
  const float* s = probs.data();
  float* d = shift.data();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < HW; ++i) {
      const int64_t at = b * K * HW + i;
      int64_t best = 0;
      for (int64_t c = 1; c < K; ++c)
        if (s[at + c * HW] > s[at + best * HW]) best = c;
      for (int64_t c = 0; c < K; ++c) d[at + c * HW] = (c == best ? 1.0f : 0.0f) - s[at + c * HW];
    }
  return add(probs, shift);
}

ViewSet load_views(const TrainConfig& cfg, const std::string& split, int64_t count) {
  return load_view_set(cfg.data, cfg.data_seed, split, count, cfg.model.out_h(), cfg.model.out_w());
}

// ---- TrainState: construction and checkpoints ----------------------------------------------

namespace {

AdamOptions adam_options(const TrainConfig& cfg, float lr, float beta1) {
  AdamOptions o;
  o.lr = lr, o.beta1 = beta1, o.beta2 = cfg.beta2, o.weight_decay = cfg.weight_decay;
  o.decoupled_weight_decay = true;
  return o;
}

// Appends the trainable tensors of `store` to `list`, in registration order, each at `lr_scale`.
void append_trainable(std::vector<NamedParameter>& list, const ParamStore& store, float lr_scale) {
  for (const NamedTensor& p : store.all())
    if (p.trainable) list.push_back({p.name, p.tensor, lr_scale});
}

// G (at g_lr_scale, its share in the main stage; step() sets it per stage), then S unless it
// is an hr model's, frozen.
std::vector<NamedParameter> pipeline_parameters(const ULRNet& net, const TrainConfig& cfg) {
  std::vector<NamedParameter> list;
  if (net.has_g()) append_trainable(list, net.g().params(), cfg.g_lr_scale);
  if (!method_uses_hr_segmenter(cfg.method)) append_trainable(list, net.s().params(), 1.0f);
  return list;
}

std::vector<NamedParameter> discriminator_parameters(const SegAwareDiscriminator* disc) {
  std::vector<NamedParameter> list;
  if (disc) append_trainable(list, disc->params(), 1.0f);
  return list;
}

// The SAD with its own initialisation stream, so that G and S start the same with or without it.
std::unique_ptr<SegAwareDiscriminator> make_discriminator(const TrainConfig& cfg) {
  Rng rng(cfg.seed, 0x646973ULL);
  return std::make_unique<SegAwareDiscriminator>(cfg.model, rng, "d");
}

// The frozen teacher: `given`, or the `hr` model of cfg.teacher.
std::unique_ptr<ULRNet> hr_teacher(const TrainConfig& cfg, std::unique_ptr<ULRNet> given) {
  if (!given) cfg.require_teacher();
  std::unique_ptr<ULRNet> teacher = given ? std::move(given) : ULRNet::load(cfg.teacher);
  const std::string role = cfg.uses_feature_loss() ? "the feature-loss teacher" : "the frozen S";
  if (teacher->method() != Method::Hr)
    throw Error(cfg.teacher + ": " + role + " must be an 'hr' model, this one is '" +
                method_name(teacher->method()) + "'");
  for (const Tensor& p : teacher->parameters()) p.set_requires_grad(false);
  return teacher;
}

// pp1, pp2, mmt2: S becomes a copy of the hr model's S and takes no gradient. The two S must
// have the same sizes and the same HR size.
void adopt_hr_segmenter(ULRNet& net, const ULRNet& hr, const std::string& label) {
  const ModelConfig &a = net.config(), &b = hr.config();
  if (a.s_channels != b.s_channels || a.s_heads != b.s_heads || a.s_groups != b.s_groups ||
      a.num_classes != b.num_classes || a.out_h() != b.out_h() || a.out_w() != b.out_w())
    throw Error(label + ": its S (" + b.to_json().dump() + ") differs from the config's model (" +
                a.to_json().dump() + "): s_channels, s_heads, s_groups, classes and HR size must match");
  net.s().params().copy_from(hr.s().params());
  for (const Tensor& p : net.s().params().parameters()) p.set_requires_grad(false);
}

// The metadata value `key` as a number, as save_checkpoint wrote it. Throws Error naming the file
// and the key.
double metadata_number(const SafetensorsFile& f, const std::string& key) {
  auto it = f.metadata().find(key);
  if (it == f.metadata().end()) throw Error(f.label() + ": checkpoint lacks the metadata key '" + key + "'");
  char* end = nullptr;
  const double value = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0')
    throw Error(f.label() + ": checkpoint metadata '" + key + "' is not a number ('" + it->second + "')");
  return value;
}

}  // namespace

TrainState::TrainState(const TrainConfig& cfg, std::unique_ptr<ULRNet> teacher)
    : cfg_(cfg),
      use_afe_(cfg.uses_feature_loss()),
      use_sad_(cfg.method == Method::Joint && cfg.use_sad && cfg.lambda_adv > 0),
      net_(cfg.method, cfg.model, cfg.seed),
      disc_(use_sad_ ? make_discriminator(cfg) : nullptr),
      teacher_(use_afe_ || method_uses_hr_segmenter(cfg.method) ? hr_teacher(cfg, std::move(teacher)) : nullptr),
      opt_net_(pipeline_parameters(net_, cfg), adam_options(cfg, cfg.lr, cfg.beta1)),
      opt_d_(discriminator_parameters(disc_.get()), adam_options(cfg, cfg.lr_d, 0.5f)) {
  // D takes gradients only inside discriminator_step.
  for (const NamedParameter& p : opt_d_.params()) p.tensor.set_requires_grad(false);
  if (method_uses_hr_segmenter(cfg.method)) {
    adopt_hr_segmenter(net_, *teacher_, cfg.teacher.empty() ? "teacher" : cfg.teacher);
    teacher_.reset();  // its S lives on in net_
  }
}

void TrainState::set_learning_rates(float lr, float lr_d) {
  opt_net_.set_lr(lr);
  opt_d_.set_lr(lr_d);
}

void TrainState::save_checkpoint(const std::string& path, const RunPosition& at) const {
  SafetensorsWriter w;
  net_.add_to(w);
  if (disc_) disc_->params().save_to(w);
  opt_net_.save_state(w, "opt.net");
  if (disc_) opt_d_.save_state(w, "opt.d");
  w.set_metadata("format", kCheckpointFormat);
  w.set_metadata("version", std::to_string(kCheckpointVersion));
  w.set_metadata("step", std::to_string(at.step));
  char best[32];
  std::snprintf(best, sizeof best, "%.17g", at.best_val_miou);
  w.set_metadata("best_val_miou", best);
  w.set_metadata("config", cfg_.to_json().dump());
  w.write(path);
}

RunPosition TrainState::load_checkpoint(const std::string& path) {
  SafetensorsFile f = SafetensorsFile::read(path);
  const auto& md = f.metadata();
  if (!md.count("format") || md.at("format") != kCheckpointFormat) throw Error(path + ": not a ulrseg checkpoint");
  const std::string version = md.count("version") ? md.at("version") : "1";  // none: written before versions
  if (version != std::to_string(kCheckpointVersion))
    throw Error(path + ": checkpoint version '" + version + "' is not supported (this build reads version " +
                std::to_string(kCheckpointVersion) + ")");
  // Compared canonically: a checkpoint written before a key existed matches a config that holds
  // the key's default (the same training); one this version cannot read matches nothing.
  std::string stored;
  try {
    if (md.count("config")) stored = TrainConfig::canonical(md.at("config"), path).dump();
  } catch (const Error&) {
  }
  if (stored != cfg_.to_json().dump())
    throw Error(path + ": was written with a different configuration; resume with the run's config.json");
  const RunPosition at{int64_t(metadata_number(f, "step")), metadata_number(f, "best_val_miou")};
  net_.load_tensors(f);
  if (disc_) disc_->params().load_from(f);
  opt_net_.load_state(f, "opt.net");
  if (disc_) opt_d_.load_state(f, "opt.d");
  return at;
}

// ---- TrainState: the losses ----------------------------------------------------------------

// The loss terms of one step in the order they are computed, each checked to be finite.
struct LossTerms {
  int64_t step;
  Json values = Json::object();
  bool check = true;  // false for one micro-batch's terms: checked once summed, on every rank alike

  // Records term `name`; throws Error naming the step and the term when it is not finite.
  void add(const char* name, const Tensor& value) {
    const float v = value.item();
    if (check) require_finite(name, v);
    values.set(name, double(v));
  }
  void require_finite(const std::string& name, double v) const {
    if (!std::isfinite(v))
      throw Error("step " + std::to_string(step) + ": loss term '" + name + "' is not finite (" +
                  std::to_string(v) + ")");
  }
};

namespace {

// D's parameters take gradients inside this scope only (discriminator_step); elsewhere G and S
// see a fixed D and take only its input gradient. requires_grad is back off on every path.
class DiscriminatorLearns {
 public:
  explicit DiscriminatorLearns(const std::vector<NamedParameter>& params) : params_(params) { set(true); }
  ~DiscriminatorLearns() { set(false); }
  DiscriminatorLearns(const DiscriminatorLearns&) = delete;
  DiscriminatorLearns& operator=(const DiscriminatorLearns&) = delete;

 private:
  void set(bool on) {
    for (const NamedParameter& p : params_) p.tensor.set_requires_grad(on);
  }
  const std::vector<NamedParameter>& params_;
};

// G then S on a ULR batch, with the two terms both joint-like methods have.
struct SrAndSegmentation {
  Tensor sr;      // (B,3,H,W)
  Tensor logits;  // (B,K,H,W)
  Tensor ce, mse;
};

SrAndSegmentation super_resolve_and_segment(ULRNet& net, const Tensor& hr, const Tensor& ulr,
                                            const Labels& labels, LossTerms& terms) {
  SrAndSegmentation f;
  f.sr = net.g().forward(ulr);
  f.logits = net.s().forward(f.sr).logits;
  f.ce = cross_entropy(f.logits, labels, Tensor(), kIgnoreLabel);
  f.mse = mse_loss(f.sr, hr);
  terms.add("ce", f.ce);
  terms.add("mse", f.mse);
  return f;
}

// L_fea between the frozen teacher's agglomerated features of HR (the target) and of SR.
Tensor feature_loss_term(const ULRNet& teacher, const Tensor& hr, const Tensor& sr, LossTerms& terms) {
  Tensor target;
  {
    NoGrad no_grad;
    target = agglomerated_features(teacher.s().encode(hr));
  }
  Tensor fea = feature_loss(target, agglomerated_features(teacher.s().encode(sr)));
  terms.add("fea", fea);
  return fea;
}

// (1-a) pixel + a CE: how the joint-like methods weigh the image terms against segmentation.
Tensor weigh_with_ce(const TrainConfig& cfg, const Tensor& pixel, const Tensor& ce) {
  return add(scale(pixel, 1.0f - cfg.alpha), scale(ce, cfg.alpha));
}

}  // namespace

Json TrainState::step(int stage, const Tensor& hr, const Tensor& ulr, const Labels& labels, int64_t step) {
  if (cfg_.micro_batches > 1 || collectives().size() > 1) return micro_batch_step(stage, hr, ulr, labels, step);
  LossTerms terms{step};
  if (net_.has_g()) opt_net_.set_lr_scale("g.", stage == 1 ? 1.0f : cfg_.g_lr_scale);
  opt_net_.zero_grad();
  Tensor loss;
  ULR_CHECK(cfg_.method != Method::Pp1, "TrainState::step: method pp1 trains nothing");
  if (stage == 1 || cfg_.method == Method::Pp2) loss = stage1_loss(hr, ulr, terms);
  else if (cfg_.method == Method::Joint) loss = joint_loss(hr, ulr, labels, terms);
  else if (cfg_.method == Method::Fjl1 || cfg_.method == Method::Mmt2) loss = fjl1_loss(hr, ulr, labels, terms);
  else loss = segmentation_loss(hr, ulr, labels, terms);
  terms.add("loss", loss);
  backward(loss);
  if (cfg_.clip_norm > 0) terms.values.set("grad_norm", double(clip_grad_norm(opt_net_.params(), cfg_.clip_norm)));
  opt_net_.step();
  return terms.values;
}

// stage 1, and pp2 throughout: G alone on the pixel loss.
Tensor TrainState::stage1_loss(const Tensor& hr, const Tensor& ulr, LossTerms& terms) {
  Tensor mse = mse_loss(net_.g().forward(ulr), hr);
  terms.add("mse", mse);
  return mse;
}

// joint: (1-a)(l1 MSE + l2 L_fea + l3 L_adv) + a CE, after D's own step; the AFE and SAD terms
// when the config uses them.
Tensor TrainState::joint_loss(const Tensor& hr, const Tensor& ulr, const Labels& labels, LossTerms& terms) {
  JointForward j = joint_forward(hr, ulr, labels, terms);
  if (use_sad_) discriminator_step(hr, j.sr.detach(), j.fake_map.detach(), labels, terms);
  return joint_total(j, true, terms);
}

// G and S on the batch, the pixel terms, and the fake map the SAD will judge.
TrainState::JointForward TrainState::joint_forward(const Tensor& hr, const Tensor& ulr, const Labels& labels,
                                                   LossTerms& terms) {
  const SrAndSegmentation f = super_resolve_and_segment(net_, hr, ulr, labels, terms);
  JointForward j{f.sr, f.ce, scale(f.mse, cfg_.lambda_mse), Tensor()};
  if (use_afe_) j.pixel = add(j.pixel, scale(feature_loss_term(*teacher_, hr, f.sr, terms), cfg_.lambda_fea));
  if (use_sad_) j.fake_map = sad_fake_segmentation(softmax(f.logits, 1), cfg_.sad_fake == SadFake::Hard);
  return j;
}

// The loss of a joint forward: the adversarial term (the pair should look real to the updated
// D; `power_iteration` as D's forward takes it), then the weighting with CE.
Tensor TrainState::joint_total(const JointForward& j, bool power_iteration, LossTerms& terms) {
  Tensor pixel = j.pixel;
  if (use_sad_) {
    Tensor judged = disc_->forward(j.sr, j.fake_map, power_iteration);
    Tensor adv = bce_with_logits(judged, Tensor::full(judged.shape(), 1.0f));
    terms.add("adv", adv);
    pixel = add(pixel, scale(adv, cfg_.lambda_adv));
  }
  return weigh_with_ce(cfg_, pixel, j.ce);
}

// fjl1, and mmt2 (whose S is frozen, so only G learns, through it): (1-a) l1 MSE + a CE.
Tensor TrainState::fjl1_loss(const Tensor& hr, const Tensor& ulr, const Labels& labels, LossTerms& terms) {
  const SrAndSegmentation f = super_resolve_and_segment(net_, hr, ulr, labels, terms);
  return weigh_with_ce(cfg_, scale(f.mse, cfg_.lambda_mse), f.ce);
}

// mmt1 and hr: S alone with CE, on the bicubic-upsampled ULR frame (mmt1) or the HR view (hr).
Tensor TrainState::segmentation_loss(const Tensor& hr, const Tensor& ulr, const Labels& labels, LossTerms& terms) {
  const Tensor& input = cfg_.method == Method::Hr ? hr : ulr;
  Tensor ce = cross_entropy(net_.forward(input).logits, labels, Tensor(), kIgnoreLabel);
  terms.add("ce", ce);
  return ce;
}

// real = (HR, GT: one-hot, or scaled by sad_real_tau < 1), fake = (SR, S's map: softmax(S(SR))
// or, with sad_fake "hard", its one-hot argmax).
void TrainState::discriminator_step(const Tensor& hr, const Tensor& sr, const Tensor& fake_map,
                                    const Labels& labels, LossTerms& terms) {
  DiscriminatorLearns learns(opt_d_.params());
  opt_d_.zero_grad();
  backward(discriminator_loss(hr, sr, fake_map, labels, true, terms));
  if (cfg_.clip_norm > 0) clip_grad_norm(opt_d_.params(), cfg_.clip_norm);
  opt_d_.step();
}

// BCE of D on the real pair (target 1) plus the fake pair (target 0), recorded as "d";
// `power_iteration` as each of D's two forwards takes it.
Tensor TrainState::discriminator_loss(const Tensor& hr, const Tensor& sr, const Tensor& fake_map,
                                      const Labels& labels, bool power_iteration, LossTerms& terms) {
  Tensor real = disc_->forward(hr, sad_real_segmentation(labels, fake_map, cfg_.sad_real_tau), power_iteration);
  Tensor fake = disc_->forward(sr, fake_map, power_iteration);
  Tensor d_loss = add(bce_with_logits(real, Tensor::full(real.shape(), 1.0f)),
                      bce_with_logits(fake, Tensor::zeros(fake.shape())));
  terms.add("d", d_loss);
  return d_loss;
}

// ---- TrainState: micro-batches, and the ranks of a data-parallel run -----------------------
//
// The batch is cut into micro_batches parts of consecutive samples; rank r of N computes parts
// [r K/N, (r+1) K/N). Each part's loss is its mean scaled by its share of the batch, and its
// gradient is computed on its own (zeroed grads, one backward, then copied out). The parts'
// gradients are summed in part order (sum_in_part_order: each rank adds one shard of the
// elements over all parts, then the shards are gathered), so one process with K parts and N
// ranks with K parts compute the same sums, bit for bit. The SAD's
// power iteration runs once per phase (D's step, G's adversarial term) on every rank, and each
// part's D forwards reuse it, so it does not depend on which rank holds which part.

namespace {

struct Part {
  int64_t begin, end;
};

// The consecutive parts of a batch of B samples: part k is [k B / K, (k+1) B / K).
std::vector<Part> batch_parts(int64_t B, int K) {
  std::vector<Part> parts;
  for (int k = 0; k < K; ++k) parts.push_back({B * k / K, B * (k + 1) / K});
  return parts;
}

// The gradients of `params`, one after another (a part's contribution).
void append_gradients(const std::vector<NamedParameter>& params, std::vector<float>& out) {
  for (const NamedParameter& p : params) {
    const float* g = p.tensor.grad_data();
    out.insert(out.end(), g, g + p.tensor.numel());
  }
}

// Sets the gradients of `params` to the sum, in part order over every rank's parts, of the
// gradients of this rank's parts (`mine`, laid out as append_gradients writes them).
void set_summed_gradients(const std::vector<NamedParameter>& params, const std::vector<float>& mine, int own_parts) {
  size_t per_part = 0;
  for (const NamedParameter& p : params) per_part += size_t(p.tensor.numel());
  const std::vector<float> sum = sum_in_part_order(mine, own_parts, per_part);
  size_t at = 0;
  for (const NamedParameter& p : params) {
    std::copy(sum.begin() + long(at), sum.begin() + long(at + size_t(p.tensor.numel())), p.tensor.grad_data());
    at += size_t(p.tensor.numel());
  }
}

}  // namespace

// One part of the batch: its samples and the terms of its losses.
struct TrainState::PartState {
  Tensor hr, ulr;
  Labels labels;
  float share = 1;  // its samples / the batch's
  LossTerms terms;
  JointForward joint;
};

Json TrainState::micro_batch_step(int stage, const Tensor& hr, const Tensor& ulr, const Labels& labels, int64_t step) {
  const int K = cfg_.micro_batches, N = collectives().size(), r = collectives().rank();
  ULR_CHECK(K % N == 0, "micro_batch_step: micro_batches must be a multiple of the ranks");
  const int64_t B = hr.size(0);
  const std::vector<Part> parts = batch_parts(B, K);
  std::vector<PartState> own;
  for (int k = r * K / N; k < (r + 1) * K / N; ++k) {
    const Part p = parts[size_t(k)];
    PartState s{slice(hr, 0, p.begin, p.end), ulr.defined() ? slice(ulr, 0, p.begin, p.end) : ulr,
                labels.slice0(p.begin, p.end), float(double(p.end - p.begin) / double(B)), LossTerms{step}, {}};
    s.terms.check = false;
    own.push_back(std::move(s));
  }
  if (net_.has_g()) opt_net_.set_lr_scale("g.", stage == 1 ? 1.0f : cfg_.g_lr_scale);
  ULR_CHECK(cfg_.method != Method::Pp1, "TrainState::step: method pp1 trains nothing");
  const bool joint = stage == 2 && cfg_.method == Method::Joint;
  std::vector<float> grads;
  if (joint && use_sad_) {
    for (PartState& s : own) s.joint = joint_forward(s.hr, s.ulr, s.labels, s.terms);
    // D's step over the parts, then G and S against the updated D.
    {
      DiscriminatorLearns learns(opt_d_.params());
      disc_->power_iteration();
      std::vector<float> d_grads;
      for (PartState& s : own) {
        opt_d_.zero_grad();
        backward(scale(discriminator_loss(s.hr, s.joint.sr.detach(), s.joint.fake_map.detach(), s.labels, false, s.terms),
                       s.share));
        append_gradients(opt_d_.params(), d_grads);
      }
      set_summed_gradients(opt_d_.params(), d_grads, int(own.size()));
      if (cfg_.clip_norm > 0) clip_grad_norm(opt_d_.params(), cfg_.clip_norm);
      opt_d_.step();
    }
    disc_->power_iteration();
    for (PartState& s : own) {
      opt_net_.zero_grad();
      Tensor loss = joint_total(s.joint, false, s.terms);
      s.terms.add("loss", loss);
      backward(scale(loss, s.share));
      append_gradients(opt_net_.params(), grads);
      s.joint = JointForward{};  // its graph is no longer needed
    }
  } else {
    for (PartState& s : own) {
      opt_net_.zero_grad();
      Tensor loss;
      if (stage == 1 || cfg_.method == Method::Pp2) loss = stage1_loss(s.hr, s.ulr, s.terms);
      else if (joint) loss = joint_loss(s.hr, s.ulr, s.labels, s.terms);
      else if (cfg_.method == Method::Fjl1 || cfg_.method == Method::Mmt2) loss = fjl1_loss(s.hr, s.ulr, s.labels, s.terms);
      else loss = segmentation_loss(s.hr, s.ulr, s.labels, s.terms);
      s.terms.add("loss", loss);
      backward(scale(loss, s.share));
      append_gradients(opt_net_.params(), grads);
    }
  }
  // The terms: each part's value times its share, summed in part order, then checked.
  std::vector<std::string> names;
  for (const auto& member : own.front().terms.values.members()) names.push_back(member.first);
  std::vector<double> mine;
  for (const PartState& s : own)
    for (const std::string& n : names) mine.push_back(s.terms.values.at(n).as_number() * double(s.share));
  const std::vector<double> all = gather_all(mine);
  Json values = Json::object();
  for (size_t t = 0; t < names.size(); ++t) {
    double sum = 0;
    for (int k = 0; k < K; ++k) sum += all[size_t(k) * names.size() + t];
    own.front().terms.require_finite(names[t], sum);
    values.set(names[t], sum);
  }
  set_summed_gradients(opt_net_.params(), grads, int(own.size()));
  if (cfg_.clip_norm > 0) values.set("grad_norm", double(clip_grad_norm(opt_net_.params(), cfg_.clip_norm)));
  opt_net_.step();
  return values;
}

}  // namespace ulr
