// Training configuration: one JSON object (configs/*.json), overridden by `--set key=value`
// (dotted keys reach into "model"), resolved and written beside every run. Unknown keys and bad
// values are errors that name the key.
#pragma once
#include <cstdint>
#include <string>

#include "data/sensor.h"
#include "engine/json.h"
#include "models/config.h"

namespace ulr {

// Learning rate after warmup, within a stage: cosine decay to zero, or constant.
enum class Schedule : uint8_t { Cosine, Constant };
// The SAD's fake segmentation: soft = softmax(S(SR)) (the paper), hard = its one-hot argmax with
// the softmax's gradient.
enum class SadFake : uint8_t { Soft, Hard };

template <> struct EnumNames<SensorMode> {
  static constexpr int count = 2;
  static const char* name(SensorMode m) { return sensor_mode_name(m); }
};
template <> struct EnumNames<Schedule> {
  static constexpr int count = 2;
  static const char* name(Schedule s) { return s == Schedule::Cosine ? "cosine" : "constant"; }
};
template <> struct EnumNames<SadFake> {
  static constexpr int count = 2;
  static const char* name(SadFake f) { return f == SadFake::Soft ? "soft" : "hard"; }
};

// The members are the keys of kTrainFields below (its help lines say what each does), in the
// same order.
struct TrainConfig {
  Method method = Method::Joint;
  ModelConfig model;
  // data
  std::string data = "synthetic";
  uint64_t data_seed = 1;
  uint64_t seed = 1;
  int train_views = 4000;
  int val_views = 300;
  SensorMode sensor = SensorMode::Area;
  float sensor_noise = 0.0f;
  bool augment = true;
  // optimisation
  int batch = 16;
  int stage1_steps = 400;
  int steps = 3000;
  float lr = 1e-3f, lr_d = 2e-4f, g_lr_scale = 1.0f, weight_decay = 0.0f;
  float beta1 = 0.9f, beta2 = 0.999f;
  float clip_norm = 5.0f;
  int warmup = 100;
  Schedule schedule = Schedule::Cosine;
  int eval_every = 500;
  // loss (the paper's defaults)
  float lambda_mse = 0.5f, lambda_fea = 0.01f, lambda_adv = 0.01f, alpha = 0.3f;
  bool use_afe = true, use_sad = true;
  float sad_real_tau = 1.0f;
  SadFake sad_fake = SadFake::Soft;
  std::string teacher;
  // data parallel
  int micro_batches = 1;

  Json to_json() const;
  static TrainConfig from_json(const Json& j, const std::string& label);
  // A stored configuration (JSON text, as in a weights file or a checkpoint) read through
  // TrainConfig and written out again: keys the text predates take their defaults, so two texts
  // of the same training compare equal. Throws Error naming `label`.
  static Json canonical(const std::string& text, const std::string& label);
  // Applies "key=value" (value parsed as JSON when it parses, else as a string); "model.KEY"
  // reaches into the model. Throws UsageError("--set: ...") naming the key.
  void set(const std::string& assignment);
  // Every key in its range (messages "<label>: KEY: expected ..., got ..."), then the keys that
  // must fit together.
  void validate(const std::string& label = "config") const;
  // The key list of `ulrseg train --help`: each key (model.KEY too), its default, what it
  // allows and its help line.
  static std::string keys_help();
  // What a run needs beyond a valid config: the teacher's weights when the feature loss is on
  // or the method takes its S from an hr model. Throws Error naming the key.
  void require_teacher() const;
  bool uses_feature_loss() const { return method == Method::Joint && use_afe && lambda_fea > 0; }
  // The sensor that makes the ULR frames: mode and size from the config; noise only when asked.
  SensorOptions sensor_options(bool with_noise) const;
};

// The training keys, in the order to_json writes them: the order of every config.json, weights
// file and checkpoint written so far (TrainConfig::canonical reproduces those texts).
using TrainField = ConfigField<TrainConfig, Method, ModelConfig, std::string, uint64_t, int, SensorMode, float,
                               bool, Schedule, SadFake>;
inline constexpr TrainField kTrainFields[] = {
    {"method", &TrainConfig::method, "what is trained (models/config.h)"},
    {"model", &TrainConfig::model, "the network sizes: the model.KEY keys"},
    {"data", &TrainConfig::data, "\"synthetic\" or a folder dataset"},
    {"data_seed", &TrainConfig::data_seed, "which synthetic apartments", 0, 2147483647},
    {"seed", &TrainConfig::seed, "initialisation, batch order, augmentation", 0, 2147483647},
    {"train_views", &TrainConfig::train_views, "synthetic views for training (>= batch)", 1, 10000000},
    {"val_views", &TrainConfig::val_views, "synthetic views for validation", 1, 1000000},
    {"sensor", &TrainConfig::sensor, "how the ULR frame is made"},
    {"sensor_noise", &TrainConfig::sensor_noise, "read noise sigma in training", 0, 1},
    {"augment", &TrainConfig::augment, "flip + colour jitter"},
    {"batch", &TrainConfig::batch, "views per step", 1, 4096},
    {"stage1_steps", &TrainConfig::stage1_steps, "G pretraining steps (methods with a G)", 0, 100000000},
    {"steps", &TrainConfig::steps, "main stage steps", 0, 100000000},
    {"lr", &TrainConfig::lr, "learning rate", 0, 10},
    {"lr_d", &TrainConfig::lr_d, "the SAD's learning rate", 0, 10},
    {"g_lr_scale", &TrainConfig::g_lr_scale, "G's main-stage lr, as a share of lr", 0, 100},
    {"weight_decay", &TrainConfig::weight_decay, "AdamW weight decay", 0, 10},
    {"beta1", &TrainConfig::beta1, "Adam beta1", 0, 0.999999},
    {"beta2", &TrainConfig::beta2, "Adam beta2", 0, 0.9999999},
    {"clip_norm", &TrainConfig::clip_norm, "global gradient norm clip; 0 = off", 0, 1e9},
    {"warmup", &TrainConfig::warmup, "linear warmup steps per stage", 0, 100000000},
    {"schedule", &TrainConfig::schedule, "learning rate after warmup"},
    {"eval_every", &TrainConfig::eval_every, "validation every N steps", 1, 100000000},
    {"lambda_mse", &TrainConfig::lambda_mse, "weight of the SR image loss", 0, 1e6},
    {"lambda_fea", &TrainConfig::lambda_fea, "weight of the AFE feature loss", 0, 1e6},
    {"lambda_adv", &TrainConfig::lambda_adv, "weight of the adversarial loss", 0, 1e6},
    {"alpha", &TrainConfig::alpha, "loss = (1-alpha) SR terms + alpha CE", 0, 1},
    {"use_afe", &TrainConfig::use_afe, "joint: AFE feature loss (needs teacher)"},
    {"use_sad", &TrainConfig::use_sad, "joint: segmentation-aware discriminator"},
    {"sad_real_tau", &TrainConfig::sad_real_tau, "SAD real map: 1 one-hot GT, < 1 scaled", 0, 1},
    {"sad_fake", &TrainConfig::sad_fake, "SAD fake map: softmax or one-hot argmax"},
    {"teacher", &TrainConfig::teacher, "hr run weights: AFE (joint); frozen S (pp1/pp2/mmt2)"},
    {"micro_batches", &TrainConfig::micro_batches, "batch split: each part's gradient, summed in order", 1, 4096},
};
static_assert(std::size(kTrainFields) == member_count<TrainConfig>(),
              "every TrainConfig member needs one row in kTrainFields, and every row a member");

}  // namespace ulr
