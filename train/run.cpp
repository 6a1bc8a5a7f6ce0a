// train(): a run folder (its files and the Ctrl-C handler) and the loop over steps that drives a
// TrainState (train/trainer.cpp) through the two stages, validating, logging and checkpointing.
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

#include "data/loader.h"
#include "engine/distributed.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/version.h"
#include "eval/evaluate.h"
#include "train/progress.h"
#include "train/trainer.h"

namespace ulr {

// ---- the run folder ------------------------------------------------------------------------

std::string checkpoint_to_resume(const std::string& dir) {
  const std::string path = dir + "/checkpoint.safetensors";
  if (!file_exists(path)) throw Error(dir + ": no checkpoint to resume (" + path + " does not exist)");
  return path;
}

namespace {

// The files train() writes in a run folder.
const char* const kRunFiles[] = {"config.json", "metrics.jsonl", "checkpoint.safetensors", "best.safetensors"};


// Cuts metrics.jsonl back to the lines logged up to `step`: a run killed after its last
// checkpoint logged steps that the resumed run logs again. Lines are appended in step order, so
// the cut is at the first line past `step`; a last line without its newline is the write the
// kill interrupted. Rewritten atomically, and only when something is cut.
void cut_metrics_log(const std::string& path, int64_t step) {
  if (!file_exists(path)) return;
  const std::vector<unsigned char> bytes = read_file(path);
  const std::string text(bytes.begin(), bytes.end());
  size_t kept = 0;  // bytes of the lines kept
  for (int line = 1;; ++line) {
    const size_t end = text.find('\n', kept);
    if (end == std::string::npos) break;
    const std::string where = path + ": line " + std::to_string(line);
    const Json record = Json::parse(text.substr(kept, end - kept), where);
    if (!record.is_object() || !record.get("step").is_number())
      throw Error(where + ": not a metrics record (no \"step\")");
    if (record.at("step").as_number() > double(step)) break;
    kept = end + 1;
  }
  if (kept < text.size()) write_file_atomic(path, text.data(), kept);
}

// Ctrl-C sets this; the loop saves a checkpoint and returns. (A signal handler can only
// reach process state, so this one flag is global; InterruptHandler installs the handler.)
std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted = true; }

// Ctrl-C while any run is in progress: sets g_interrupted, which every run of the process sees
// (an experiment trains several side by side). The first run installs the handler and clears
// the flag; the last one to end puts the previous handler back.
class InterruptHandler {
 public:
  InterruptHandler() {
    std::lock_guard<std::mutex> lock(mutex());
    if (active()++ == 0) {
      g_interrupted = false;
      previous() = std::signal(SIGINT, on_interrupt);
    }
  }
  ~InterruptHandler() {
    std::lock_guard<std::mutex> lock(mutex());
    if (--active() == 0) std::signal(SIGINT, previous());
  }
  InterruptHandler(const InterruptHandler&) = delete;
  InterruptHandler& operator=(const InterruptHandler&) = delete;

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static int& active() {
    static int n = 0;
    return n;
  }
  static void (*&previous())(int) {
    static void (*handler)(int) = SIG_DFL;
    return handler;
  }
};

// One run folder while train() works in it: its files and the Ctrl-C handler. The constructor
// is the only place that changes the folder before training; the destructor closes the metrics
// log and restores the handler on every path, exceptions included.
class RunFolder {
 public:
  // `resumed`: the accepted checkpoint's position, or null for a fresh run. Only rank 0 of a
  // data-parallel run writes (on the other ranks every write is skipped).
  RunFolder(const std::string& dir, const TrainConfig& cfg, const RunPosition* resumed)
      : dir_(dir), writes_(collectives().rank() == 0) {
    if (!writes_) return;
    make_dirs(dir_);
    for (const char* name : kRunFiles) remove_stale_temp_files(dir_ + "/" + name);
    const std::string config_text = cfg.to_json().dump(2) + "\n";
    write_file_atomic(dir_ + "/config.json", config_text.data(), config_text.size());
    const std::string metrics_path = dir_ + "/metrics.jsonl";
    if (resumed) cut_metrics_log(metrics_path, resumed->step);
    metrics_.reset(std::fopen(metrics_path.c_str(), resumed ? "a" : "w"));
    if (!metrics_) throw Error(metrics_path + ": cannot write");
  }

  const std::string& dir() const { return dir_; }
  // Ctrl-C reached this process, or (data parallel) any rank: all ranks stop at the same step.
  bool interrupted() const { return collectives().size() > 1 ? any_rank(g_interrupted) : bool(g_interrupted); }

  void log(const Json& record) {
    if (!writes_) return;
    const std::string line = record.dump() + "\n";
    std::fputs(line.c_str(), metrics_.get());
    std::fflush(metrics_.get());
  }
  void save_checkpoint(const TrainState& state, const RunPosition& at) const {
    if (writes_) state.save_checkpoint(dir_ + "/checkpoint.safetensors", at);
  }
  void save_best(const ULRNet& net, const std::map<std::string, std::string>& metadata) const {
    if (writes_) net.save(dir_ + "/best.safetensors", metadata);
  }

 private:
  struct Close {
    void operator()(FILE* f) const { std::fclose(f); }
  };
  std::string dir_;
  bool writes_;
  std::unique_ptr<FILE, Close> metrics_;
  InterruptHandler interrupt_;
};

}  // namespace

// ---- the loop ------------------------------------------------------------------------------

namespace {

struct Stage {
  int index;        // 1: G pretraining, 2: main
  int64_t begin;    // global step where it starts
  int64_t length;   // steps
};

// Linear warmup, then cosine decay to zero (or constant), within a stage.
float learning_rate(const TrainConfig& cfg, float base, int64_t t, int64_t length) {
  return scheduled_lr(base, t, length, cfg.warmup, cfg.schedule == Schedule::Cosine);
}

// Global steps of the two stages: G's pretraining (methods with a G only), then the main one.
struct Stages {
  Stage pretrain, main;
  explicit Stages(const TrainConfig& cfg) {
    pretrain = {1, 0, method_has_g(cfg.method) ? cfg.stage1_steps : 0};
    main = {2, pretrain.length, cfg.steps};
  }
  int64_t total() const { return pretrain.length + main.length; }
  const Stage& at(int64_t step) const { return step < main.begin ? pretrain : main; }
};

// Batches: an epoch-shuffled, augmented pass over the in-memory views, with the ULR frame
// captured by the sensor (its read noise drawn per sample).
LoaderOptions loader_options(const TrainConfig& cfg) {
  LoaderOptions lo;
  lo.batch_size = cfg.batch, lo.shuffle = true, lo.drop_last = true, lo.workers = 1, lo.prefetch = 2;
  lo.seed = cfg.seed;
  if (cfg.augment) lo.augment.hflip = true, lo.augment.brightness = lo.augment.contrast = lo.augment.saturation = 0.2f;
  lo.capture = cfg.method != Method::Hr;
  lo.sensor = cfg.sensor_options(true);
  return lo;
}

// One call of train(): the loop over steps from where the run stands.
class TrainingLoop {
 public:
  TrainingLoop(const TrainConfig& cfg, const ViewSet& train_set, const ViewSet& val_set, const TrainOptions& opt,
               TrainState& state, RunFolder& run, RunPosition start);
  TrainResult run();

 private:
  void one_step();
  const Batch& next_batch();
  void log_step(const Stage& stage, float lr, const Json& terms, double rate);
  void show_progress(const Stage& stage, const Json& terms, double rate);
  void validate_and_keep_best();
  bool stop_requested() const {
    return run_.interrupted() || (opt_.stop_after >= 0 && at_.step - first_step_ >= opt_.stop_after);
  }

  const TrainConfig& cfg_;
  const ViewSet& val_set_;
  const TrainOptions& opt_;
  TrainState& state_;
  RunFolder& run_;
  const Stages stages_;
  RunPosition at_;
  const int64_t first_step_;
  BatchLoader loader_;
  Batch batch_;
  int64_t epoch_;
  Progress progress_;
  TrainResult result_;
};

TrainingLoop::TrainingLoop(const TrainConfig& cfg, const ViewSet& train_set, const ViewSet& val_set,
                           const TrainOptions& opt, TrainState& state, RunFolder& run, RunPosition start)
    : cfg_(cfg), val_set_(val_set), opt_(opt), state_(state), run_(run), stages_(cfg), at_(start),
      first_step_(start.step), loader_(std::make_shared<ViewSetDataset>(train_set), loader_options(cfg)),
      epoch_(start.step / loader_.batches_per_epoch()),
      progress_(std::string("train ") + method_name(cfg.method), stages_.total(), 50) {
  // Batch k of the run is always the same, so a resumed run re-enters the epoch where it stopped.
  loader_.start_epoch(epoch_);
  for (int64_t k = 0; k < at_.step % loader_.batches_per_epoch(); ++k) loader_.next(batch_);
}

TrainResult TrainingLoop::run() {
  if (stages_.total() == 0 && at_.best_val_miou < 0) {  // pp1: nothing to train, validated once
    validate_and_keep_best();
    run_.save_checkpoint(state_, at_);
  }
  while (at_.step < stages_.total()) {
    if (stop_requested()) {
      result_.interrupted = true;
      break;
    }
    one_step();
  }
  if (result_.interrupted) run_.save_checkpoint(state_, at_);
  else if (!opt_.quiet) progress_.finish();
  result_.steps_done = at_.step;
  result_.best_val_miou = at_.best_val_miou;
  result_.seconds = progress_.elapsed_seconds();
  return result_;
}

void TrainingLoop::one_step() {
  const Stage& stage = stages_.at(at_.step);
  const int64_t t = at_.step - stage.begin;
  const float lr = learning_rate(cfg_, cfg_.lr, t, stage.length);
  state_.set_learning_rates(lr, learning_rate(cfg_, cfg_.lr_d, t, stage.length));
  const Batch& batch = next_batch();
  Json terms;
  try {
    terms = state_.step(stage.index, batch.hr, batch.ulr, batch.labels, at_.step);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + "; stopped, the last good checkpoint is kept in " + run_.dir());
  }
  result_.losses.push_back(float(terms.at("loss").as_number()));
  ++at_.step;

  progress_.advance(at_.step);
  if (opt_.on_step) opt_.on_step(at_.step, stages_.total());
  const double rate = progress_.rate() * cfg_.batch;  // samples/s lately
  if (at_.step % opt_.log_every == 0 || at_.step == stages_.total()) log_step(stage, lr, terms, rate);
  if (!opt_.quiet) show_progress(stage, terms, rate);
  const bool end_of_stage = at_.step == stage.begin + stage.length;
  if (stage.index == 2 && (at_.step % cfg_.eval_every == 0 || end_of_stage)) validate_and_keep_best();
  if (at_.step % opt_.checkpoint_every == 0 || end_of_stage) run_.save_checkpoint(state_, at_);
}

const Batch& TrainingLoop::next_batch() {
  if (!loader_.next(batch_)) {
    loader_.start_epoch(++epoch_);
    loader_.next(batch_);
  }
  return batch_;
}

void TrainingLoop::log_step(const Stage& stage, float lr, const Json& terms, double rate) {
  Json line = Json::object();
  line.set("step", at_.step).set("stage", stage.index).set("lr", double(lr));
  for (const auto& [name, value] : terms.members()) line.set(name, value);
  line.set("samples_per_s", rate);
  run_.log(line);
}

void TrainingLoop::show_progress(const Stage& stage, const Json& terms, double rate) {
  std::string extra = "stage " + std::to_string(stage.index);
  char buf[48];
  for (const auto& [name, value] : terms.members()) {
    if (name == "grad_norm") continue;
    std::snprintf(buf, sizeof buf, "  %s %.4g", name.c_str(), value.as_number());
    extra += buf;
  }
  std::snprintf(buf, sizeof buf, "  %.1f samples/s", rate);
  progress_.update(at_.step, extra + buf);
}

void TrainingLoop::validate_and_keep_best() {
  EvalResult e = evaluate_across_ranks(state_.net(), val_set_, cfg_.sensor_options(false));
  const double miou = e.cm.miou();
  Json j = Json::object();
  j.set("step", at_.step).set("val_miou", miou).set("val_pixel_acc", e.cm.pixel_accuracy());
  if (cfg_.method != Method::Hr) j.set("val_psnr", e.psnr);
  run_.log(j);
  result_.last_val_miou = miou;
  if (miou <= at_.best_val_miou) return;
  at_.best_val_miou = miou;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", miou);
  run_.save_best(state_.net(), {{"command", opt_.command}, {"commit", source_commit()}, {"data", cfg_.data},
                                {"data_seed", std::to_string(cfg_.data_seed)}, {"seed", std::to_string(cfg_.seed)},
                                {"step", std::to_string(at_.step)}, {"val_miou", buf},
                                {"train_config", cfg_.to_json().dump()}});
}

}  // namespace

bool interrupted_by_signal() { return g_interrupted; }

void require_ranks_fit(const TrainConfig& cfg) {
  const int ranks = collectives().size();
  if (cfg.micro_batches % ranks != 0)
    throw Error("config: micro_batches (" + std::to_string(cfg.micro_batches) + ") must be a multiple of the " +
                std::to_string(ranks) + " processes of this run (set micro_batches=" + std::to_string(ranks) + ")");
}

int64_t total_steps(const TrainConfig& cfg) { return Stages(cfg).total(); }

TrainResult train(const TrainConfig& cfg, const ViewSet& train_set, const ViewSet& val_set,
                  const TrainOptions& opt) {
  cfg.validate();
  if (train_set.size() < 1 || val_set.size() < 1) throw Error("train: empty training or validation set");
  require_ranks_fit(cfg);
  TrainState state(cfg);
  RunPosition start;
  if (opt.resume) start = state.load_checkpoint(checkpoint_to_resume(opt.out_dir));  // reads only
  RunFolder run(opt.out_dir, cfg, opt.resume ? &start : nullptr);
  return TrainingLoop(cfg, train_set, val_set, opt, state, run, start).run();
}


}  // namespace ulr
