#include "train/trainer.h"

#include <algorithm>
#include <optional>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>

#include "data/classes.h"
#include "data/loader.h"
#include "data/sensor.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/safetensors.h"
#include "engine/version.h"
#include "eval/evaluate.h"
#include "models/ulrnet.h"
#include "ops/ops.h"
#include "train/optim.h"
#include "train/progress.h"


namespace ulr {

namespace {

// Ctrl-C sets this; the loop saves a checkpoint and returns. (A signal handler can only
// reach process state, so this one flag is global.)
std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted = true; }

constexpr const char* kCheckpointFormat = "ulrseg-checkpoint";

struct Stage {
  int index;        // 1: G pretraining, 2: main
  int64_t begin;    // global step where it starts
  int64_t length;   // steps
};

// Linear warmup, then cosine decay to zero (or constant), within a stage.
float learning_rate(const TrainConfig& cfg, float base, int64_t t, int64_t length) {
  float warm = cfg.warmup > 0 && t < cfg.warmup ? float(t + 1) / float(cfg.warmup) : 1.0f;
  if (cfg.schedule == Schedule::Constant || length <= 1) return base * warm;
  double progress = double(t) / double(length);
  return base * warm * float(0.5 * (1.0 + std::cos(M_PI * progress)));
}

void check_finite(float value, const char* term, int64_t step) {
  if (std::isfinite(value)) return;
  throw Error("step " + std::to_string(step) + ": loss term '" + term + "' is not finite (" +
              std::to_string(value) + ")");
}

// Parameters that need no gradient for a while (requires_grad off, restored at scope exit).
struct Frozen {
  std::vector<Tensor> params;
  explicit Frozen(const std::vector<Tensor>& p) : params(p) {
    for (const Tensor& t : params) t.set_requires_grad(false);
  }
  ~Frozen() {
    for (const Tensor& t : params) t.set_requires_grad(true);
  }
  Frozen(const Frozen&) = delete;
  Frozen& operator=(const Frozen&) = delete;
};

AdamOptions adam_options(const TrainConfig& cfg, float lr, float beta1) {
  AdamOptions o;
  o.lr = lr, o.beta1 = beta1, o.beta2 = cfg.beta2, o.weight_decay = cfg.weight_decay;
  o.decoupled_weight_decay = true;
  return o;
}

}  // namespace

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

// ---- TrainState -----------------------------------------------------------------------------

static std::vector<std::string> trainable_names(std::initializer_list<const ParamStore*> stores) {
  std::vector<std::string> names;
  for (const ParamStore* store : stores)
    if (store)
      for (const NamedTensor& p : store->all())
        if (p.trainable) names.push_back(p.name);
  return names;
}

TrainState::TrainState(const TrainConfig& cfg, std::unique_ptr<ULRNet> teacher)
    : cfg_(cfg),
      net_(cfg.method, cfg.model, cfg.seed),
      opt_net_({}, adam_options(cfg, cfg.lr, cfg.beta1)),
      opt_d_({}, adam_options(cfg, cfg.lr_d, 0.5f)) {
  use_sad_ = cfg.method == Method::Joint && cfg.use_sad && cfg.lambda_adv > 0;
  use_afe_ = cfg.uses_feature_loss();
  if (use_sad_) {
    Rng rng(cfg.seed, 0x646973ULL);
    disc_ = std::make_unique<SegAwareDiscriminator>(cfg.model, rng, "d");
  }
  if (use_afe_) {
    if (!teacher) cfg.require_teacher();
    teacher_ = teacher ? std::move(teacher) : ULRNet::load(cfg.teacher);
    if (teacher_->method() != Method::Hr)
      throw Error(cfg.teacher + ": the feature-loss teacher must be an 'hr' model, this one is '" +
                  method_name(teacher_->method()) + "'");
    for (const Tensor& p : teacher_->parameters()) p.set_requires_grad(false);  // frozen
  }
  net_params_ = net_.parameters();
  net_names_ = trainable_names({net_.has_g() ? &net_.g().params() : nullptr, &net_.s().params()});
  opt_net_ = Adam(net_params_, adam_options(cfg, cfg.lr, cfg.beta1));
  if (net_.has_g() && cfg.g_lr_scale != 1.0f) {
    main_stage_lr_scales_.assign(net_params_.size(), 1.0f);
    std::fill_n(main_stage_lr_scales_.begin(), net_.g().params().parameters().size(), cfg.g_lr_scale);
  }
  if (disc_) {
    d_params_ = disc_->params().parameters();
    d_names_ = trainable_names({&disc_->params()});
    opt_d_ = Adam(d_params_, adam_options(cfg, cfg.lr_d, 0.5f));
  }
}

void TrainState::set_learning_rates(float lr, float lr_d) {
  opt_net_.set_lr(lr);
  opt_d_.set_lr(lr_d);
}

Json TrainState::step(int stage, const Tensor& hr, const Tensor& ulr, const Labels& labels, int64_t step) {
  const TrainConfig& cfg = cfg_;
  const bool joint_like = cfg.method == Method::Joint || cfg.method == Method::Fjl1;
  Json terms = Json::object();
  auto term = [&](const char* name, const Tensor& value) {
    float v = value.item();
    check_finite(v, name, step);
    terms.set(name, double(v));
  };
  opt_net_.zero_grad();
  std::optional<Frozen> freeze_d;
  Tensor loss;
  if (stage == 1) {
    Tensor sr = net_.g().forward(ulr);  // stage 1: pretrain G on the pixel loss alone
    loss = mse_loss(sr, hr);
    term("mse", loss);
  } else if (!joint_like) {
    Tensor input = cfg.method == Method::Hr ? hr : ulr;
    loss = cross_entropy(net_.forward(input).logits, labels, Tensor(), kIgnoreLabel);
    term("ce", loss);
  } else {
    Tensor sr = net_.g().forward(ulr);                  // (B,3,H,W)
    Tensor logits = net_.s().forward(sr).logits;        // (B,K,H,W)
    Tensor ce = cross_entropy(logits, labels, Tensor(), kIgnoreLabel);
    Tensor mse = mse_loss(sr, hr);
    term("ce", ce);
    term("mse", mse);
    Tensor pixel = scale(mse, cfg.lambda_mse);
    if (use_afe_) {
      Tensor target;
      {
        NoGrad no_grad;
        target = agglomerated_features(teacher_->s().encode(hr));
      }
      Tensor fea = feature_loss(target, agglomerated_features(teacher_->s().encode(sr)));
      term("fea", fea);
      pixel = add(pixel, scale(fea, cfg.lambda_fea));
    }
    if (use_sad_) {
      Tensor probs = sad_fake_segmentation(softmax(logits, 1), cfg.sad_fake == SadFake::Hard);
      // Discriminator step: real = (HR, GT: one-hot, or scaled by sad_real_tau < 1), fake =
      // (SR, softmax(S(SR)) or, with sad_fake "hard", its one-hot argmax), detached.
      opt_d_.zero_grad();
      Tensor real = disc_->forward(hr, sad_real_segmentation(labels, probs.detach(), cfg.sad_real_tau), true);
      Tensor fake = disc_->forward(sr.detach(), probs.detach(), true);
      Tensor d_loss = add(bce_with_logits(real, Tensor::full(real.shape(), 1.0f)),
                          bce_with_logits(fake, Tensor::zeros(fake.shape())));
      term("d", d_loss);
      backward(d_loss);
      if (cfg.clip_norm > 0) clip_grad_norm(d_params_, cfg.clip_norm);
      opt_d_.step();
      // Adversarial term for G and S: the pair should look real to the updated D. It needs
      // D's input gradient only, so D's parameters are frozen until the backward is done.
      freeze_d.emplace(d_params_);
      Tensor judged = disc_->forward(sr, probs, true);
      Tensor adv = bce_with_logits(judged, Tensor::full(judged.shape(), 1.0f));
      term("adv", adv);
      pixel = add(pixel, scale(adv, cfg.lambda_adv));
    }
    loss = add(scale(pixel, 1.0f - cfg.alpha), scale(ce, cfg.alpha));
  }
  term("loss", loss);
  backward(loss);
  freeze_d.reset();
  if (cfg.clip_norm > 0) terms.set("grad_norm", double(clip_grad_norm(net_params_, cfg.clip_norm)));
  opt_net_.set_lr_scales(stage == 1 ? std::vector<float>() : main_stage_lr_scales_);
  opt_net_.step();
  return terms;
}

static void add_optimizer_state(SafetensorsWriter& w, const Adam& o, const std::vector<std::string>& names,
                                const std::string& tag) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (i < o.exp_avg().size() && o.exp_avg()[i].defined())
      w.add("opt." + tag + ".exp_avg." + names[i], o.exp_avg()[i]);
    if (i < o.exp_avg_sq().size() && o.exp_avg_sq()[i].defined())
      w.add("opt." + tag + ".exp_avg_sq." + names[i], o.exp_avg_sq()[i]);
  }
  w.set_metadata("opt." + tag + ".steps", std::to_string(o.steps()));
  w.add_i64("opt." + tag + ".param_steps", {int64_t(o.param_steps().size())}, o.param_steps());
}

static void load_optimizer_state(const SafetensorsFile& f, Adam& o, const std::vector<std::string>& names,
                                 const std::string& tag) {
  const auto& md = f.metadata();
  auto it = md.find("opt." + tag + ".steps");
  if (it == md.end()) throw Error(f.label() + ": checkpoint lacks the optimizer step count for " + tag);
  int64_t steps = std::stoll(it->second);
  if (steps == 0) return;
  o.exp_avg().resize(names.size());
  o.exp_avg_sq().resize(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    std::string m = "opt." + tag + ".exp_avg." + names[i];
    if (!f.contains(m)) continue;  // a parameter that never had a gradient
    o.exp_avg()[i] = f.tensor(m);
    o.exp_avg_sq()[i] = f.tensor("opt." + tag + ".exp_avg_sq." + names[i]);
  }
  std::vector<int64_t> per_param = f.integers("opt." + tag + ".param_steps");
  if (per_param.size() != names.size())
    throw Error(f.label() + ": checkpoint has " + std::to_string(per_param.size()) +
                " optimizer step counts for " + tag + ", the model has " + std::to_string(names.size()));
  o.param_steps() = per_param;
  o.set_steps(steps);
}

void TrainState::save_checkpoint(const std::string& path, int64_t step, double best_miou) const {
  SafetensorsWriter w;
  net_.add_to(w);
  if (disc_) disc_->params().save_to(w);
  add_optimizer_state(w, opt_net_, net_names_, "net");
  if (disc_) add_optimizer_state(w, opt_d_, d_names_, "d");
  w.set_metadata("format", kCheckpointFormat);
  w.set_metadata("step", std::to_string(step));
  char best[32];
  std::snprintf(best, sizeof best, "%.17g", best_miou);
  w.set_metadata("best_val_miou", best);
  w.set_metadata("config", cfg_.to_json().dump());
  w.write(path);
}

std::pair<int64_t, double> TrainState::load_checkpoint(const std::string& path) {
  SafetensorsFile f = SafetensorsFile::read(path);
  const auto& md = f.metadata();
  if (!md.count("format") || md.at("format") != kCheckpointFormat)
    throw Error(path + ": not a ulrseg checkpoint");
  // Compared canonically: a checkpoint written before a key existed matches a config that holds
  // the key's default (the same training); one this version cannot read matches nothing.
  std::string stored;
  try {
    if (md.count("config")) stored = TrainConfig::canonical(md.at("config"), path).dump();
  } catch (const Error&) {
  }
  if (stored != cfg_.to_json().dump())
    throw Error(path + ": was written with a different configuration; resume with the run's config.json");
  net_.load_tensors(f);
  if (disc_) disc_->params().load_from(f);
  load_optimizer_state(f, opt_net_, net_names_, "net");
  if (disc_) load_optimizer_state(f, opt_d_, d_names_, "d");
  return {std::stoll(md.at("step")), std::stod(md.at("best_val_miou"))};
}

// ---- the loop -------------------------------------------------------------------------------

TrainResult train(const TrainConfig& cfg, const ViewSet& train_set, const ViewSet& val_set,
                  const TrainOptions& opt) {
  cfg.validate();
  if (train_set.size() < 1 || val_set.size() < 1) throw Error("train: empty training or validation set");
  make_dirs(opt.out_dir);
  const std::string ckpt_path = opt.out_dir + "/checkpoint.safetensors";
  const std::string best_path = opt.out_dir + "/best.safetensors";
  const std::string metrics_path = opt.out_dir + "/metrics.jsonl";
  const std::string config_text = cfg.to_json().dump(2) + "\n";
  write_file_atomic(opt.out_dir + "/config.json", config_text.data(), config_text.size());

  TrainState state(cfg);
  const bool joint_like = cfg.method == Method::Joint || cfg.method == Method::Fjl1;
  const Stage stage1{1, 0, joint_like ? cfg.stage1_steps : 0};
  const Stage stage2{2, stage1.length, cfg.steps};
  const int64_t total_steps = stage1.length + stage2.length;
  int64_t step = 0;
  double best_miou = -1;
  if (opt.resume) std::tie(step, best_miou) = state.load_checkpoint(ckpt_path);

  g_interrupted = false;
  auto previous_handler = std::signal(SIGINT, on_interrupt);
  FILE* metrics = std::fopen(metrics_path.c_str(), opt.resume ? "a" : "w");
  if (!metrics) {
    std::signal(SIGINT, previous_handler);
    throw Error(metrics_path + ": cannot write");
  }
  // Batches: an epoch-shuffled, augmented pass over the in-memory views, with the ULR frame
  // captured by the sensor (its read noise drawn per sample). Batch k of the run is always the
  // same, so a resumed run re-enters the epoch at the batch it stopped at.
  LoaderOptions lo;
  lo.batch_size = cfg.batch, lo.shuffle = true, lo.drop_last = true, lo.workers = 1, lo.prefetch = 2;
  lo.seed = cfg.seed;
  if (cfg.augment) lo.augment.hflip = true, lo.augment.brightness = lo.augment.contrast = lo.augment.saturation = 0.2f;
  lo.capture = cfg.method != Method::Hr;
  lo.sensor = cfg.sensor_options(true);
  BatchLoader loader(std::make_shared<ViewSetDataset>(train_set), lo);
  const int64_t per_epoch = loader.batches_per_epoch();
  int64_t epoch = step / per_epoch;
  Batch batch;
  loader.start_epoch(epoch);
  for (int64_t k = 0; k < step % per_epoch; ++k) loader.next(batch);  // re-enter the epoch
  Progress progress(std::string("train ") + method_name(cfg.method), total_steps, 50);
  TrainResult result;
  const int64_t first_step = step;
  auto log = [&](const Json& j) {
    std::string line = j.dump() + "\n";
    std::fputs(line.c_str(), metrics);
    std::fflush(metrics);
  };
  auto validate_and_keep_best = [&]() {
    EvalResult e = evaluate_model(state.net(), val_set, cfg.sensor_options(false));
    const double miou = e.cm.miou();
    Json j = Json::object();
    j.set("step", step).set("val_miou", miou).set("val_pixel_acc", e.cm.pixel_accuracy());
    if (cfg.method != Method::Hr) j.set("val_psnr", e.psnr);
    log(j);
    result.last_val_miou = miou;
    if (miou > best_miou) {
      best_miou = miou;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6f", miou);
      state.net().save(best_path, {{"command", opt.command}, {"commit", source_commit()},
                                   {"data", cfg.data}, {"data_seed", std::to_string(cfg.data_seed)},
                                   {"seed", std::to_string(cfg.seed)}, {"step", std::to_string(step)},
                                   {"val_miou", buf}, {"train_config", cfg.to_json().dump()}});
    }
  };

  try {
    while (step < total_steps) {
      if (g_interrupted || (opt.stop_after >= 0 && step - first_step >= opt.stop_after)) {
        result.interrupted = true;
        break;
      }
      const Stage& stage = step < stage2.begin ? stage1 : stage2;
      const int64_t t = step - stage.begin;
      state.set_learning_rates(learning_rate(cfg, cfg.lr, t, stage.length),
                               learning_rate(cfg, cfg.lr_d, t, stage.length));
      if (!loader.next(batch)) {
        loader.start_epoch(++epoch);
        loader.next(batch);
      }
      Json terms;
      try {
        terms = state.step(stage.index, batch.hr, batch.ulr, batch.labels, step);
      } catch (const Error& e) {
        throw Error(std::string(e.what()) + "; stopped, the last good checkpoint is kept in " + opt.out_dir);
      }
      const float loss_value = float(terms.at("loss").as_number());
      result.losses.push_back(loss_value);
      ++step;

      progress.advance(step);
      double rate = progress.rate() * cfg.batch;  // samples/s lately
      if (step % opt.log_every == 0 || step == total_steps) {
        Json line = Json::object();
        line.set("step", step).set("stage", stage.index).set("lr", double(learning_rate(cfg, cfg.lr, t, stage.length)));
        for (auto& [k, v] : terms.members()) line.set(k, v);
        line.set("samples_per_s", rate);
        log(line);
      }
      if (!opt.quiet) {
        std::string extra = "stage " + std::to_string(stage.index);
        char buf[48];
        for (auto& [name, value] : terms.members()) {
          if (name == "grad_norm") continue;
          std::snprintf(buf, sizeof buf, "  %s %.4g", name.c_str(), value.as_number());
          extra += buf;
        }
        std::snprintf(buf, sizeof buf, "  %.1f samples/s", rate);
        progress.update(step, extra + buf);
      }
      bool end_of_stage = step == stage.begin + stage.length;
      if (stage.index == 2 && (step % cfg.eval_every == 0 || end_of_stage)) validate_and_keep_best();
      if (step % opt.checkpoint_every == 0 || end_of_stage) state.save_checkpoint(ckpt_path, step, best_miou);
    }
  } catch (...) {
    std::signal(SIGINT, previous_handler);
    std::fclose(metrics);
    throw;
  }
  if (result.interrupted) state.save_checkpoint(ckpt_path, step, best_miou);
  if (!opt.quiet && !result.interrupted) progress.finish();
  std::signal(SIGINT, previous_handler);
  std::fclose(metrics);
  result.steps_done = step;
  result.best_val_miou = best_miou;
  result.seconds = progress.elapsed_seconds();
  return result;
}

}  // namespace ulr
