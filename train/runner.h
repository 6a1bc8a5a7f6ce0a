// The experiment runner (`ulrseg experiment`): trains every run of a plan that is not finished,
// side by side when asked, resuming interrupted ones, then evaluates every run on the same
// validation and test views and collects what the tables need. A run lives in
// OUT/runs/<id>/, an ordinary training run folder (train/trainer.h) plus its evaluations
// (eval-val.json, eval-test.json). Stopping at any moment (Ctrl-C, kill -9) loses at most the
// steps since each run's last checkpoint: the same command continues.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "engine/json.h"
#include "train/plan.h"

namespace ulr {

struct ExperimentOptions {
  std::string out_dir;
  int jobs = 1;             // trainings side by side; each gets threads / jobs threads
  int threads = 1;          // all of them together
  bool train = true;        // false: train nothing, evaluate the finished runs
  bool quiet = false;       // no progress line
  int64_t stop_after = -1;  // each training stops, checkpointed, after this many steps of this call
  std::string command;      // the command line, recorded in the weights' metadata
};

enum class RunState { Missing, Partial, Finished, Reused };
const char* run_state_name(RunState s);

// One run evaluated on one split: EvalResult::to_json() and the per-view mIoU.
struct RunEval {
  Json metrics;  // null when not evaluated
  std::vector<double> view_miou;
  bool done() const { return metrics.is_object(); }
};

struct RunOutcome {
  PlannedRun run;
  RunState state = RunState::Missing;
  int64_t step = 0, total = 0;  // steps done and in all
  double best_val_miou = std::numeric_limits<double>::quiet_NaN();  // from the trainer's validation
  double train_seconds = std::numeric_limits<double>::quiet_NaN();  // the steps' time, from metrics.jsonl
  std::string weights;                                              // the file evaluated
  RunEval val, test;
  std::string error;  // why its training stopped, when it failed
};

struct ExperimentResult {
  std::vector<RunOutcome> runs;
  bool interrupted = false;
  bool complete() const;  // every run trained and evaluated on both splits
};

// The folder state of every run, without training or evaluating anything. Throws Error naming
// the run folder when its config.json is not the plan's configuration (nothing is overwritten:
// move the folder away or fix the plan), or a reused weights file is not the run's training.
ExperimentResult survey(const Plan& plan, const std::string& out_dir);

// Trains what is missing or partial (unless opt.train is false), then evaluates every finished
// run that has no evaluation yet, on the validation views of its config and on plan.test_views
// views of the test split. A training that fails is reported in its outcome; the others go on.
// Holds OUT/.lock throughout: a second runner on the same folder stops with an Error.
ExperimentResult run_experiment(const Plan& plan, const ExperimentOptions& opt);

// Training time of a run folder's steps from its metrics.jsonl: the logged rate (samples/s)
// over the steps since the previous record, validation excluded; NaN without records.
double logged_training_seconds(const std::string& metrics_path, int batch);

}  // namespace ulr
