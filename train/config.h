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

struct TrainConfig {
  Method method = Method::Joint;
  ModelConfig model;
  // data
  std::string data = "synthetic";  // "synthetic" or a folder dataset
  uint64_t data_seed = 1;          // which synthetic apartments (train/val/test never overlap)
  uint64_t seed = 1;               // initialisation, batch order, augmentation
  int train_views = 4000;          // synthetic: views rendered for training
  int val_views = 300;             // synthetic: views rendered for validation
  std::string sensor = "area";     // ULR simulation: area | bicubic
  float sensor_noise = 0.0f;       // read noise sigma during training
  bool augment = true;             // flip + colour jitter
  // optimisation
  int batch = 16;
  int stage1_steps = 400;          // G pretraining (joint and fjl1)
  int steps = 3000;                // main stage
  float lr = 1e-3f, lr_d = 2e-4f, weight_decay = 0.0f;
  float g_lr_scale = 1.0f;         // G's learning rate in the main stage, as a share of lr
  float beta1 = 0.9f, beta2 = 0.999f;
  float clip_norm = 5.0f;          // global-norm clipping; 0 = off
  int warmup = 100;
  std::string schedule = "cosine"; // cosine | constant
  int eval_every = 500;            // validation (an "epoch" of the in-memory set) every N steps
  // loss (the paper's defaults)
  float lambda_mse = 0.5f, lambda_fea = 0.01f, lambda_adv = 0.01f, alpha = 0.3f;
  bool use_afe = true, use_sad = true;
  float sad_real_tau = 1.0f;       // SAD's real segmentation: 1 = one-hot GT, < 1 = scaled GT
  std::string sad_fake = "soft";   // SAD's fake segmentation: soft = softmax(S(SR)) (the paper),
                                   // hard = its one-hot argmax with the softmax's gradient
  std::string teacher;             // AFE: weights of an `hr` run (its S encoder, frozen)

  Json to_json() const;
  static TrainConfig from_json(const Json& j, const std::string& label);
  // A stored configuration (JSON text, as in a weights file or a checkpoint) read through
  // TrainConfig and written out again: keys the text predates take their defaults, so two texts
  // of the same training compare equal. Throws Error naming `label`.
  static Json canonical(const std::string& text, const std::string& label);
  // Applies "key=value" (value parsed as JSON when it parses, else as a string).
  void set(const std::string& assignment);
  void validate() const;
  // What a run needs beyond a valid config: the AFE teacher's weights when the feature loss is
  // on. Throws Error naming the key.
  void require_teacher() const;
  bool uses_feature_loss() const { return method == Method::Joint && use_afe && lambda_fea > 0; }
  // The sensor that makes the ULR frames: mode and size from the config; noise only when asked.
  SensorOptions sensor_options(bool with_noise) const;
};

}  // namespace ulr
