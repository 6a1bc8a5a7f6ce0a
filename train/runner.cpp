// The experiment runner: survey the run folders, train what is missing side by side, evaluate.
#include "train/runner.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "data/views.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/parallel.h"
#include "engine/safetensors.h"
#include "eval/evaluate.h"
#include "models/ulrnet.h"
#include "train/progress.h"
#include "train/trainer.h"

namespace ulr {

const char* run_state_name(RunState s) {
  switch (s) {
    case RunState::Missing: return "missing";
    case RunState::Partial: return "partial";
    case RunState::Finished: return "finished";
    case RunState::Reused: return "reused";
  }
  return "?";
}

bool ExperimentResult::complete() const {
  for (const RunOutcome& r : runs)
    if ((r.state != RunState::Finished && r.state != RunState::Reused) || !r.val.done() || !r.test.done())
      return false;
  return true;
}

double logged_training_seconds(const std::string& metrics_path, int batch) {
  if (!file_exists(metrics_path)) return std::numeric_limits<double>::quiet_NaN();
  const std::vector<unsigned char> bytes = read_file(metrics_path);
  const std::string text(bytes.begin(), bytes.end());
  double seconds = 0, last_step = 0;
  bool any = false;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) break;  // a line a kill cut short
    const Json record = Json::parse(text.substr(at, end - at), metrics_path);
    at = end + 1;
    const Json& rate = record.get("samples_per_s");
    if (!rate.is_number() || rate.as_number() <= 0) continue;
    const double step = record.at("step").as_number();
    seconds += (step - last_step) * double(batch) / rate.as_number();
    last_step = step;
    any = true;
  }
  return any ? seconds : std::numeric_limits<double>::quiet_NaN();
}

namespace {

std::string run_dir(const std::string& out, const PlannedRun& run) { return out + "/runs/" + run.id; }

// The first key where two configs (objects) differ: "lr: 0.002 here, 0.001 in the plan".
std::string first_difference(const Json& stored, const Json& planned) {
  for (const auto& [key, value] : planned.members()) {
    const Json& other = stored.get(key);
    if (other.dump() == value.dump()) continue;
    if (value.is_object() && other.is_object()) return key + "." + first_difference(other, value);
    return key + ": " + default_text(other) + " there, " + default_text(value) + " in the plan";
  }
  return "(no key differs)";
}

// A file's identity for the evaluation caches: its size and FNV-1a hash.
std::string fingerprint(const std::string& path) {
  const std::vector<unsigned char> bytes = read_file(path);
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%zu-%016llx", bytes.size(), (unsigned long long)h);
  return buf;
}

// What an evaluation cache must match to be used: the weights file and the views.
Json eval_key(const std::string& weights, const std::string& split, int64_t views, const TrainConfig& cfg) {
  Json k = Json::object();
  k.set("weights", fingerprint(weights)).set("split", split).set("views", views);
  k.set("data", cfg.data).set("data_seed", int64_t(cfg.data_seed));
  return k;
}

std::string eval_path(const std::string& out, const PlannedRun& run, const std::string& split) {
  return run_dir(out, run) + "/eval-" + split + ".json";
}

RunEval read_eval(const std::string& path, const Json& key) {
  RunEval e;
  if (!file_exists(path)) return e;
  const std::vector<unsigned char> bytes = read_file(path);
  const Json j = Json::parse(std::string(bytes.begin(), bytes.end()), path);
  if (j.get("key").dump() != key.dump()) return e;  // another weights file or other views: stale
  e.metrics = j.at("metrics");
  for (const Json& v : j.at("view_miou").items())
    e.view_miou.push_back(v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.as_number());
  return e;
}

void write_eval(const std::string& path, const Json& key, const RunEval& e) {
  Json views = Json::array();
  for (double v : e.view_miou) views.push(std::isnan(v) ? Json() : Json(v));
  Json j = Json::object();
  j.set("key", key).set("metrics", e.metrics).set("view_miou", views);
  const std::string text = j.dump() + "\n";
  write_file_atomic(path, text.data(), text.size());
}

// Surveys one run folder (or its reused weights file).
RunOutcome survey_run(const PlannedRun& run, const std::string& out, int test_views) {
  RunOutcome o;
  o.run = run;
  o.total = total_steps(run.config);
  const Json planned = run.config.to_json();
  if (!run.reuse.empty()) {
    std::unique_ptr<ULRNet> net = ULRNet::load(run.reuse);
    const auto& md = net->metadata();
    if (!md.count("train_config")) throw Error(run.reuse + ": has no training configuration to check against run " + run.id);
    const Json stored = TrainConfig::canonical(md.at("train_config"), run.reuse);
    if (stored.dump() != planned.dump())
      throw Error(run.reuse + ": was trained with another configuration than run " + run.id + " (" +
                  first_difference(stored, planned) + ")");
    o.state = RunState::Reused;
    o.step = o.total;
    o.weights = run.reuse;
    if (md.count("val_miou")) o.best_val_miou = std::strtod(md.at("val_miou").c_str(), nullptr);
  } else {
    const std::string dir = run_dir(out, run);
    if (file_exists(dir + "/config.json")) {
      const std::vector<unsigned char> bytes = read_file(dir + "/config.json");
      const Json stored = TrainConfig::canonical(std::string(bytes.begin(), bytes.end()), dir + "/config.json");
      if (stored.dump() != planned.dump())
        throw Error(dir + ": holds a run of another configuration (" + first_difference(stored, planned) +
                    "); move the folder away or change the plan");
    }
    const std::string checkpoint = dir + "/checkpoint.safetensors";
    if (file_exists(checkpoint)) {
      const SafetensorsFile f = SafetensorsFile::read(checkpoint);
      auto it = f.metadata().find("step");
      o.step = it == f.metadata().end() ? 0 : std::strtoll(it->second.c_str(), nullptr, 10);
      it = f.metadata().find("best_val_miou");
      if (it != f.metadata().end()) o.best_val_miou = std::strtod(it->second.c_str(), nullptr);
      const bool done = o.step >= o.total && file_exists(dir + "/best.safetensors");
      o.state = done ? RunState::Finished : RunState::Partial;
    }
    o.weights = dir + "/best.safetensors";
    o.train_seconds = logged_training_seconds(dir + "/metrics.jsonl", run.config.batch);
  }
  if (o.state == RunState::Finished || o.state == RunState::Reused) {
    o.val = read_eval(eval_path(out, run, "val"), eval_key(o.weights, "val", run.config.val_views, run.config));
    o.test = read_eval(eval_path(out, run, "test"), eval_key(o.weights, "test", test_views, run.config));
  }
  return o;
}

// Views rendered once per process and shared by every run that asks for the same ones.
class ViewCache {
 public:
  std::shared_ptr<const ViewSet> get(const TrainConfig& cfg, const std::string& split, int64_t count) {
    const std::string key = cfg.data + "|" + std::to_string(cfg.data_seed) + "|" + split + "|" + std::to_string(count) +
                            "|" + std::to_string(cfg.model.out_h()) + "x" + std::to_string(cfg.model.out_w());
    std::lock_guard<std::mutex> lock(mutex_);  // one rendering at a time; the others wait for it
    auto it = sets_.find(key);
    if (it != sets_.end()) return it->second;
    auto set = std::make_shared<const ViewSet>(load_views(cfg, split, count));
    sets_[key] = set;
    return set;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const ViewSet>> sets_;
};

// Where the trainings of this call stand, for the progress line.
class Board {
 public:
  Board(const ExperimentResult& r, size_t finished_before) : finished_(finished_before), runs_(r.runs.size()) {
    for (const RunOutcome& o : r.runs)
      if (o.state == RunState::Missing || o.state == RunState::Partial) left_ += o.total - o.step;
  }
  void start(const std::string& id, int64_t step, int64_t total) {
    std::lock_guard<std::mutex> lock(mutex_);
    active_[id] = {step, total};
  }
  void step(const std::string& id, int64_t step) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& a = active_[id];
    done_ += step - a.first;
    a.first = step;
  }
  void end(const std::string& id, bool finished) {
    std::lock_guard<std::mutex> lock(mutex_);
    active_.erase(id);
    if (finished) ++finished_;
  }
  std::string line(double elapsed) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string s = "experiment: " + std::to_string(finished_) + "/" + std::to_string(runs_) + " runs trained";
    for (const auto& [id, at] : active_) s += " | " + id + " " + std::to_string(at.first) + "/" + std::to_string(at.second);
    if (done_ > 0 && elapsed > 0) s += " | eta " + format_duration(double(left_ - done_) * elapsed / double(done_));
    return s;
  }

 private:
  std::mutex mutex_;
  size_t finished_, runs_;
  int64_t left_ = 0, done_ = 0;  // steps this call must run, and has run
  std::map<std::string, std::pair<int64_t, int64_t>> active_;
};

// The runs to train, handed out in order, each once the run that trains its teacher (a config's
// `teacher` may be another run's best.safetensors) has finished. take() waits while every run
// left waits for a teacher still in training.
class Queue {
 public:
  Queue(ExperimentResult& result, std::vector<size_t> order, const std::string& out)
      : result_(result), pending_(std::move(order)), finished_(result.runs.size()), needs_(result.runs.size(), -1) {
    for (size_t i = 0; i < result.runs.size(); ++i) {
      const RunState s = result.runs[i].state;
      finished_[i] = s == RunState::Finished || s == RunState::Reused;
      for (size_t t = 0; t < result.runs.size(); ++t)
        if (!result.runs[i].run.config.teacher.empty() &&
            result.runs[i].run.config.teacher == run_dir(out, result.runs[t].run) + "/best.safetensors")
          needs_[i] = int(t);
    }
  }
  // The next run to train, or false when none is left (or `stop`).
  bool take(size_t& run, const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (stop || pending_.empty()) return false;
      for (size_t k = 0; k < pending_.size(); ++k) {
        const int need = needs_[pending_[k]];
        if (need >= 0 && !finished_[size_t(need)]) continue;
        run = pending_[k];
        pending_.erase(pending_.begin() + long(k));
        ++running_;
        return true;
      }
      if (running_ == 0) {  // every run left waits for a teacher that will not come
        for (size_t i : pending_)
          result_.runs[i].error = "its teacher, run " + result_.runs[size_t(needs_[i])].run.id + ", did not finish";
        pending_.clear();
        return false;
      }
      changed_.wait(lock);
    }
  }
  void done(size_t run, bool finished) {
    std::lock_guard<std::mutex> lock(mutex_);
    --running_;
    finished_[run] = finished;
    changed_.notify_all();
  }

 private:
  ExperimentResult& result_;
  std::vector<size_t> pending_;
  std::vector<bool> finished_;
  std::vector<int> needs_;  // the run that trains each run's teacher, or -1
  int running_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
};

void train_runs(const Plan& plan, const ExperimentOptions& opt, ExperimentResult& result, ViewCache& views) {
  // Runs started before come first (what is begun is finished first), then the rest in the
  // plan's priority order, each group in plan order.
  std::vector<size_t> todo;
  size_t finished = 0;
  for (size_t i = 0; i < result.runs.size(); ++i)
    if (result.runs[i].state == RunState::Partial) todo.push_back(i);
  for (size_t level = 0; level <= plan.priority.size(); ++level)
    for (size_t i = 0; i < result.runs.size(); ++i)
      if (result.runs[i].state == RunState::Missing && plan.priority_of(result.runs[i].run.id) == level)
        todo.push_back(i);
  for (const RunOutcome& o : result.runs) finished += o.state == RunState::Finished || o.state == RunState::Reused;
  if (todo.empty()) return;
  const int jobs = std::max(1, std::min<int>(opt.jobs, int(todo.size())));
  const int threads_each = std::max(1, opt.threads / jobs);
  Board board(result, finished);
  Queue queue(result, todo, opt.out_dir);
  std::atomic<bool> stop{false};
  std::mutex result_mutex;
  const auto start = std::chrono::steady_clock::now();
  auto worker = [&] {
    ThreadScope scope(threads_each);
    for (size_t index; queue.take(index, stop);) {
      RunOutcome& o = result.runs[index];
      const TrainConfig& cfg = o.run.config;
      board.start(o.run.id, o.step, o.total);
      bool finished_now = false;
      try {
        std::shared_ptr<const ViewSet> train_set = views.get(cfg, "train", cfg.train_views);
        std::shared_ptr<const ViewSet> val_set = views.get(cfg, "val", cfg.val_views);
        TrainOptions to;
        to.out_dir = run_dir(opt.out_dir, o.run);
        to.resume = o.state == RunState::Partial;
        to.stop_after = opt.stop_after;
        to.command = opt.command + " (run " + o.run.id + ")";
        to.quiet = true;
        const std::string id = o.run.id;
        to.on_step = [&board, id](int64_t step, int64_t) { board.step(id, step); };
        const TrainResult r = train(cfg, *train_set, *val_set, to);
        finished_now = !r.interrupted;
        if (interrupted_by_signal()) stop = true;
      } catch (const Error& e) {
        std::lock_guard<std::mutex> lock(result_mutex);
        o.error = e.what();
        std::fprintf(stderr, "experiment: run %s failed: %s\n", o.run.id.c_str(), e.what());
      }
      board.end(o.run.id, finished_now);
      queue.done(index, finished_now);
    }
  };
  std::vector<std::thread> team;
  for (int j = 0; j < jobs; ++j) team.emplace_back(worker);
  // The progress line: on a terminal redrawn every second, otherwise a plain line a minute.
  const bool tty = Progress::terminal();
  std::atomic<bool> all_done{false};
  std::thread reporter([&] {
    int ticks = 0;
    while (!all_done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (opt.quiet || ++ticks % (tty ? 5 : 300) != 0) continue;
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const std::string line = board.line(elapsed);
      if (tty) std::fprintf(stderr, "\r%-150.150s", line.c_str());
      else std::fprintf(stderr, "%s\n", line.c_str());
    }
  });
  for (std::thread& t : team) t.join();
  all_done = true;
  reporter.join();
  if (tty && !opt.quiet) std::fprintf(stderr, "\n");
  result.interrupted = stop;
}

void evaluate_runs(const Plan& plan, const ExperimentOptions& opt, ExperimentResult& result, ViewCache& views) {
  ThreadScope scope(std::max(1, opt.threads));
  for (RunOutcome& o : result.runs) {
    if (o.state != RunState::Finished && o.state != RunState::Reused) continue;
    if (o.val.done() && o.test.done()) continue;
    if (!opt.quiet) std::fprintf(stderr, "experiment: evaluating %s\n", o.run.id.c_str());
    make_dirs(run_dir(opt.out_dir, o.run));
    const std::unique_ptr<ULRNet> net = ULRNet::load(o.weights);
    const TrainConfig& cfg = o.run.config;
    const struct {
      const char* split;
      int64_t count;
      RunEval* into;
    } splits[] = {{"val", cfg.val_views, &o.val}, {"test", plan.test_views, &o.test}};
    for (const auto& s : splits) {
      if (s.into->done()) continue;
      std::shared_ptr<const ViewSet> set = views.get(cfg, s.split, s.count);
      const EvalResult e = evaluate_model(*net, *set, cfg.sensor_options(false));
      s.into->metrics = e.to_json();
      s.into->view_miou = e.view_miou;
      write_eval(eval_path(opt.out_dir, o.run, s.split), eval_key(o.weights, s.split, s.count, cfg), *s.into);
    }
  }
}

}  // namespace

ExperimentResult survey(const Plan& plan, const std::string& out_dir) {
  ExperimentResult r;
  for (const PlannedRun& run : plan.runs()) r.runs.push_back(survey_run(run, out_dir, plan.test_views));
  return r;
}

ExperimentResult run_experiment(const Plan& plan, const ExperimentOptions& opt) {
  ExperimentResult result = survey(plan, opt.out_dir);
  make_dirs(opt.out_dir + "/runs");
  const FileLock lock(opt.out_dir + "/.lock",
                      opt.out_dir + ": another `ulrseg experiment` works in this folder; wait for it or stop it");
  ViewCache views;
  if (opt.train) {
    train_runs(plan, opt, result, views);
    ExperimentResult now = survey(plan, opt.out_dir);  // what the folders hold now
    for (size_t i = 0; i < now.runs.size(); ++i) now.runs[i].error = result.runs[i].error;
    now.interrupted = result.interrupted;
    result = std::move(now);
  }
  if (!result.interrupted) evaluate_runs(plan, opt, result, views);
  return result;
}

}  // namespace ulr
