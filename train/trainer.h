// The trainer: the paper's two stages and loss, the baselines, validation mIoU, best
// checkpoint, JSONL metrics, progress, atomic checkpoints, bit-exact resume, Ctrl-C saving and a
// stop on a non-finite loss. One run lives in one folder (docs/FORMATS.md):
//   config.json             the resolved configuration
//   metrics.jsonl           one JSON object per logged step and per validation
//   checkpoint.safetensors  latest state (weights, optimizer state, step, best mIoU, config)
//   best.safetensors        the weights with the best validation mIoU (a ulrseg weights file)
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "data/sensor.h"
#include "data/views.h"
#include "engine/json.h"
#include "engine/tensor.h"
#include "models/ulrnet.h"
#include "train/config.h"
#include "train/optim.h"

namespace ulr {

constexpr const char* kCheckpointFormat = "ulrseg-checkpoint";
// The checkpoint layout this build writes and reads (metadata "version"). A checkpoint without
// the key was written before versions existed, in the layout of version 1.
constexpr int kCheckpointVersion = 1;

// Where a run stands: what a checkpoint records besides the weights and optimizer state.
struct RunPosition {
  int64_t step = 0;           // steps done
  double best_val_miou = -1;  // the best validation mIoU so far; -1 before the first validation
};

struct LossTerms;  // the loss terms of one step, checked as they are computed (trainer.cpp)

// The SAD's real segmentation for labels (B,H,W), given S's detached probabilities (B,K,H,W)
// on the same batch. tau = 1: one-hot GT (the paper). tau < 1: the "scaling" of Luc et al.
// (2016, "Semantic Segmentation using Adversarial Networks"): the GT class gets max(tau, s_l)
// and the other classes share the rest in proportion to S's probabilities, so that D cannot
// tell real from fake by confidence alone. Ignored pixels are all zero in both cases.
Tensor sad_real_segmentation(const Labels& labels, const Tensor& probs, float tau);

// The SAD's fake segmentation from S's probabilities (B,K,H,W). hard = false: the probabilities
// themselves (the paper). hard = true: the one-hot argmax in value, the probabilities' gradient
// in the backward (straight-through), so that D judges the layout of the classes rather than how
// confident S is, which a one-hot real map otherwise gives away.
Tensor sad_fake_segmentation(const Tensor& probs, bool hard);

// Everything a run trains and updates: the pipeline (G and S), the SAD, the frozen AFE teacher
// and the two optimizers. One step() is one optimisation step of the method's loss.
class TrainState {
 public:
  // Builds the networks from cfg (initialised from cfg.seed). The teacher (an hr model) is
  // `teacher` when given, otherwise loaded from cfg.teacher when the config uses the feature
  // loss (joint) or takes its S frozen from it (pp1, pp2, mmt2: S becomes a copy of the
  // teacher's S, with no gradient and no optimizer state). The SAD's parameters take gradients
  // only during its own step (requires_grad is off otherwise).
  explicit TrainState(const TrainConfig& cfg, std::unique_ptr<ULRNet> teacher = nullptr);

  // One step on a batch. stage 1: G on the pixel loss; stage 2: the method's loss:
  //   joint  D step on (HR, GT as sad_real_segmentation) vs (SR, softmax(S(SR))) detached, then G+S on
  //          (1-a)(l1 MSE + l2 L_fea + l3 L_adv) + a CE
  //   fjl1, mmt2   (1-a) l1 MSE + a CE (mmt2: S frozen);  pp2: MSE;  mmt1 and hr: CE.
  //   pp1 trains nothing (no step).
  // G learns at lr in stage 1 and at g_lr_scale * lr in stage 2. hr (B,3,H,W), ulr (B,3,h,w)
  // (ignored for hr), labels (B,H,W). Returns the loss terms {"loss", "ce", "mse", "fea", "d",
  // "adv", "grad_norm"} (those that apply, in that order). Throws Error naming `step` and the
  // term when a loss is not finite; G and S are not updated then (D may have taken its step).
  Json step(int stage, const Tensor& hr, const Tensor& ulr, const Labels& labels, int64_t step);

  void set_learning_rates(float lr, float lr_d);
  // Weights, optimizer state and metadata (format, version, step, best mIoU, config) in one
  // safetensors file, written atomically.
  void save_checkpoint(const std::string& path, const RunPosition& at) const;
  // Restores a checkpoint written with this configuration and returns where it stands. Throws
  // Error naming `path` when it is not a checkpoint, its version is not kCheckpointVersion, its
  // configuration differs, or a tensor is missing or has another shape.
  RunPosition load_checkpoint(const std::string& path);

  const TrainConfig& config() const { return cfg_; }
  ULRNet& net() { return net_; }
  SegAwareDiscriminator* discriminator() { return disc_.get(); }
  ULRNet* teacher() { return teacher_.get(); }

 private:
  // The loss of one stage and method, each term recorded in `terms`.
  Tensor stage1_loss(const Tensor& hr, const Tensor& ulr, LossTerms& terms);
  Tensor joint_loss(const Tensor& hr, const Tensor& ulr, const Labels& labels, LossTerms& terms);
  Tensor fjl1_loss(const Tensor& hr, const Tensor& ulr, const Labels& labels, LossTerms& terms);
  Tensor segmentation_loss(const Tensor& hr, const Tensor& ulr, const Labels& labels, LossTerms& terms);
  // One optimisation step of the SAD on (HR, real map) against (sr, fake_map), both detached.
  void discriminator_step(const Tensor& hr, const Tensor& sr, const Tensor& fake_map, const Labels& labels,
                          LossTerms& terms);
  Tensor discriminator_loss(const Tensor& hr, const Tensor& sr, const Tensor& fake_map, const Labels& labels,
                            bool power_iteration, LossTerms& terms);
  // The joint loss in its parts: G and S forward with the pixel terms, then the adversarial term.
  struct JointForward {
    Tensor sr, ce, pixel, fake_map;
  };
  JointForward joint_forward(const Tensor& hr, const Tensor& ulr, const Labels& labels, LossTerms& terms);
  Tensor joint_total(const JointForward& j, bool power_iteration, LossTerms& terms);
  // step() when the batch is cut into micro-batches or the run has several ranks (trainer.cpp).
  struct PartState;
  Json micro_batch_step(int stage, const Tensor& hr, const Tensor& ulr, const Labels& labels, int64_t step);

  TrainConfig cfg_;
  bool use_afe_ = false, use_sad_ = false;
  ULRNet net_;
  std::unique_ptr<SegAwareDiscriminator> disc_;  // when use_sad_
  std::unique_ptr<ULRNet> teacher_;              // when use_afe_ (pp1/pp2/mmt2 copy its S and drop it)
  Adam opt_net_, opt_d_;                         // G and S; the SAD
};

struct TrainOptions {
  std::string out_dir;
  bool resume = false;        // continue from out_dir/checkpoint.safetensors
  int64_t stop_after = -1;    // stop (saving a checkpoint) after this many steps of this call
  int log_every = 10;         // metrics.jsonl cadence (steps)
  int checkpoint_every = 200; // steps
  std::string command;        // the command line, recorded in the weights' metadata
  bool quiet = false;         // no progress output
  // Called after every step with the global step reached and the run's total (an experiment's
  // progress line); may be empty.
  std::function<void(int64_t step, int64_t total)> on_step;
};

struct TrainResult {
  int64_t steps_done = 0;       // global step reached
  double best_val_miou = 0;
  double last_val_miou = 0;
  std::vector<double> losses;   // total loss of every step run in this call (for tests)
  bool interrupted = false;     // Ctrl-C or stop_after
  double seconds = 0;
};

// Runs (or resumes) training in opt.out_dir. A fresh run creates the folder and overwrites its
// files. A resumed run changes nothing before its checkpoint is accepted (throws Error naming
// the folder when there is none), then cuts metrics.jsonl back to the checkpoint's step. Both
// first remove the temp files of the run's files that a killed process left. Throws Error
// naming the step and loss term on a non-finite loss, keeping the last good checkpoint.
TrainResult train(const TrainConfig& cfg, const ViewSet& train_set, const ViewSet& val_set,
                  const TrainOptions& opt);

// Whether Ctrl-C reached a train() call of this process since the first of the runs in
// progress began (train() saved its checkpoint and returned).
bool interrupted_by_signal();

// A data-parallel run (several ranks, engine/distributed.h) cuts each batch into micro_batches
// parts and gives each rank the same number: throws Error naming the key and the rank count
// when micro_batches is not a multiple of the ranks.
void require_ranks_fit(const TrainConfig& cfg);

// Steps a run of `cfg` takes in all: G's pretraining (methods with a G), then the main stage.
int64_t total_steps(const TrainConfig& cfg);

// The checkpoint `--resume` continues from in run folder `dir`. Throws Error naming the folder
// when there is none (a program calls it before rendering any view).
std::string checkpoint_to_resume(const std::string& dir);

// Renders (synthetic) or loads (folder) the views a config asks for, at the model's HR size.
ViewSet load_views(const TrainConfig& cfg, const std::string& split, int64_t count);

}  // namespace ulr
