// The paper's baselines and the experiment runner: PP-1 and PP-2 are their parts composed, MMT-2
// leaves S as the hr model's, ours without AFE and SAD trains as FJL-1; a plan is checked before
// anything trains; the runner skips finished runs, resumes interrupted ones bit-exactly and
// refuses a run folder of another configuration; the report's figures and intervals.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/json.h"
#include "eval/statistics.h"
#include "ops/ops.h"
#include "train/experiment_report.h"
#include "train/plan.h"
#include "train/runner.h"
#include "train/trainer.h"

using namespace ulr;

namespace {

std::string fresh_dir(const std::string& name) {
  const std::string d = "/tmp/ulrseg_test_experiment_" + name;
  REQUIRE(std::system(("rm -rf " + d).c_str()) == 0);
  make_dirs(d);
  return d;
}

void put(const std::string& path, const std::string& text) { write_file_atomic(path, text.data(), text.size()); }

std::string text_of(const std::string& path) {
  const std::vector<unsigned char> b = read_file(path);
  return std::string(b.begin(), b.end());
}

ModelConfig tiny_model() {
  ModelConfig m;
  m.g_channels = 8, m.g_blocks = 1, m.g_heads = 2, m.g_up_channels = {8, 8, 8};
  m.s_channels = {8, 8, 16, 16}, m.s_heads = 2, m.s_groups = 4, m.d_channels = {8};
  return m;
}

const char* kTinyModel =
    R"("model": {"g_channels": 8, "g_blocks": 1, "g_heads": 2, "g_up_channels": [8, 8, 8],
                 "s_channels": [8, 8, 16, 16], "s_heads": 2, "s_groups": 4, "d_channels": [8]})";

// A tiny training config of `method` in `dir`/NAME.json (a few steps on 16 views); `extra` (a
// JSON object's members) adds or replaces keys.
std::string tiny_config(const std::string& dir, const std::string& name, const std::string& method,
                        const std::string& extra = "") {
  const std::string path = dir + "/" + name + ".json";
  Json j = Json::parse(std::string("{\"method\": \"") + method + "\", " + kTinyModel +
                       R"(, "use_afe": false, "train_views": 16, "val_views": 8, "batch": 8, "stage1_steps": 2,
                       "steps": 4, "warmup": 1, "eval_every": 2, "lr": 0.003})");
  const Json more = Json::parse("{" + extra + "}");
  for (const auto& [key, value] : more.members()) j.set(key, value);
  put(path, j.dump(2));
  return path;
}

// An untrained hr model of the tiny sizes, as the frozen S of pp1/pp2/mmt2.
std::string tiny_teacher(const std::string& dir) {
  const std::string path = dir + "/hr.safetensors";
  ULRNet(Method::Hr, tiny_model(), 5).save(path, {});
  return path;
}

TrainConfig read_config(const std::string& path) { return TrainConfig::from_json(Json::parse(text_of(path)), path); }

// The metrics of a run folder without its timings: what must repeat bit for bit.
std::string metrics_without_rates(const std::string& dir) {
  std::string out;
  for (const std::string& line : [&] {
         std::vector<std::string> lines;
         const std::string t = text_of(dir + "/metrics.jsonl");
         for (size_t at = 0, end; (end = t.find('\n', at)) != std::string::npos; at = end + 1)
           lines.push_back(t.substr(at, end - at));
         return lines;
       }()) {
    Json j = Json::parse(line), k = Json::object();
    for (const auto& [key, value] : j.members())
      if (key != "samples_per_s") k.set(key, value);
    out += k.dump() + "\n";
  }
  return out;
}

// A two-method x two-seed plan over the tiny configs.
std::string tiny_plan(const std::string& dir) {
  tiny_config(dir, "fjl1", "fjl1");
  tiny_config(dir, "mmt1", "mmt1");
  const std::string path = dir + "/plan.json";
  put(path, R"({"title": "tiny", "test_views": 8, "seeds": [1, 2], "runs": [
      {"name": "fjl1", "label": "FJL-1", "config": ")" + dir + R"(/fjl1.json", "sizes": [16], "paper": {"16": 0.265}},
      {"name": "mmt1", "label": "MMT-1", "config": ")" + dir + R"(/mmt1.json", "sizes": [16]}],
    "paired": [{"a": "fjl1", "b": "mmt1", "size": 16},
               {"a": "fjl1", "b": "mmt1", "size": 16, "seeds": [1]},
               {"a": "fjl1", "b": "mmt1", "size": 16, "seeds": [2]}]})");
  return path;
}

ExperimentOptions quiet_options(const std::string& out) {
  ExperimentOptions o;
  o.out_dir = out, o.quiet = true, o.jobs = 2, o.threads = 2;
  return o;
}

}  // namespace

TEST_CASE("PP-1 is the hr model's S on the bicubic-upsampled frame; PP-2 that S on its G's output") {
  const std::string dir = fresh_dir("compose");
  const std::string teacher = tiny_teacher(dir);
  const std::unique_ptr<ULRNet> hr = ULRNet::load(teacher);
  Rng rng(3);
  const Tensor ulr = Tensor::uniform({2, 3, 16, 16}, rng, 0.0f, 1.0f);
  for (const char* method : {"pp1", "pp2"}) {
    CAPTURE(method);
    const std::string steps = std::string(method) == "pp1" ? ", \"steps\": 0, \"stage1_steps\": 0" : "";
    TrainConfig cfg = read_config(tiny_config(dir, method, method, "\"teacher\": \"" + teacher + "\"" + steps));
    TrainOptions opt;
    opt.out_dir = dir + "/run-" + method, opt.quiet = true;
    train(cfg, load_views(cfg, "train", cfg.train_views), load_views(cfg, "val", cfg.val_views), opt);
    const std::unique_ptr<ULRNet> net = ULRNet::load(opt.out_dir + "/best.safetensors");
    CHECK(net->method() == cfg.method);
    NoGrad no_grad;
    const Tensor image = cfg.method == Method::Pp1 ? resize_bicubic(ulr, 64, 64) : net->g().forward(ulr);
    const Tensor by_hand = hr->s().forward(image).logits;
    const Tensor composed = net->forward(ulr).logits;
    REQUIRE(composed.shape() == by_hand.shape());
    for (int64_t i = 0; i < composed.numel(); ++i) REQUIRE(composed.data()[i] == by_hand.data()[i]);
  }
}

TEST_CASE("MMT-2 trains G through the hr model's S and leaves S bit-identical; pp1 refuses steps") {
  const std::string dir = fresh_dir("mmt2");
  const std::string teacher = tiny_teacher(dir);
  TrainConfig cfg = read_config(tiny_config(dir, "mmt2", "mmt2", "\"teacher\": \"" + teacher + "\""));
  TrainOptions opt;
  opt.out_dir = dir + "/run", opt.quiet = true;
  const TrainResult r = train(cfg, load_views(cfg, "train", 16), load_views(cfg, "val", 8), opt);
  CHECK(r.steps_done == 6);
  const std::unique_ptr<ULRNet> hr = ULRNet::load(teacher);
  const std::unique_ptr<ULRNet> net = ULRNet::load(opt.out_dir + "/best.safetensors");
  for (const NamedTensor& p : hr->s().params().all()) {
    const NamedTensor* q = net->s().params().find(p.name);
    REQUIRE(q);
    for (int64_t i = 0; i < p.tensor.numel(); ++i) REQUIRE(p.tensor.data()[i] == q->tensor.data()[i]);
  }
  // G did learn: its weights differ from its initialisation.
  const ULRNet fresh(Method::Mmt2, cfg.model, cfg.seed);
  double moved = 0;
  const std::vector<Tensor> a = fresh.g().params().parameters(), b = net->g().params().parameters();
  for (size_t t = 0; t < a.size(); ++t)
    for (int64_t i = 0; i < a[t].numel(); ++i) moved += std::fabs(a[t].data()[i] - b[t].data()[i]);
  CHECK(moved > 0);

  cfg.method = Method::Pp1;
  CHECK_THROWS_WITH(cfg.validate("pp1.json"),
                    "pp1.json: method pp1 trains nothing: steps and stage1_steps must be 0 (got 2 and 4)");
  cfg.method = Method::Mmt2;
  cfg.teacher = "";
  CHECK_THROWS_WITH(cfg.require_teacher(),
                    "config: teacher: method mmt2 takes its S from the weights of an 'hr' run (set teacher=PATH)");
  cfg.teacher = dir + "/run/best.safetensors";  // an mmt2 model, not an hr one
  CHECK_THROWS_WITH(TrainState{cfg}, (cfg.teacher + ": the frozen S must be an 'hr' model, this one is 'mmt2'").c_str());
}

TEST_CASE("ours without AFE and SAD is FJL-1: the same losses, bit for bit") {
  const std::string dir = fresh_dir("neither");
  TrainConfig joint = read_config(tiny_config(dir, "joint", "joint", "\"use_sad\": false"));
  TrainConfig fjl1 = read_config(tiny_config(dir, "fjl1", "fjl1"));
  const ViewSet train_set = load_views(joint, "train", 16), val_set = load_views(joint, "val", 8);
  TrainOptions a, b;
  a.out_dir = dir + "/a", b.out_dir = dir + "/b", a.quiet = b.quiet = true;
  const TrainResult ra = train(joint, train_set, val_set, a), rb = train(fjl1, train_set, val_set, b);
  REQUIRE(ra.losses.size() == rb.losses.size());
  for (size_t i = 0; i < ra.losses.size(); ++i) CHECK(ra.losses[i] == rb.losses[i]);
}

TEST_CASE("a plan is checked before anything trains: unknown keys, methods, sizes and rows are named") {
  const std::string dir = fresh_dir("plan");
  const std::string cfg = tiny_config(dir, "fjl1", "fjl1");
  auto plan_with = [&](const std::string& row, const std::string& extra = "") {
    return Json::parse(R"({"seeds": [1], "runs": [)" + row + "]" + extra + "}");
  };
  const std::string base = R"("name": "a", "config": ")" + cfg + R"(", "sizes": [16])";
  CHECK_THROWS_WITH(Plan::from_json(plan_with("{" + base + R"(, "sed": [1]})"), "p.json"),
                    "p.json: runs[0]: unknown key 'sed'");
  CHECK_THROWS_WITH(Plan::from_json(plan_with("{" + base + R"(, "method": "pp3"})"), "p.json"),
                    "p.json: row 'a': method: expected joint, fjl1, mmt1, hr, pp1, pp2 or mmt2, got \"pp3\"");
  CHECK_THROWS_WITH(Plan::from_json(plan_with("{" + base + R"(, "set": {"lr_typo": 1}})"), "p.json"),
                    "p.json: row 'a': set: unknown key 'lr_typo'");
  CHECK_THROWS_WITH(Plan::from_json(plan_with(R"({"name": "a", "config": ")" + cfg + R"(", "sizes": [24]})"), "p.json"),
                    "p.json: row 'a': size 24 does not divide the HR size 64");
  CHECK_THROWS_WITH(Plan::from_json(plan_with("{" + base + "}", R"(, "paired": [{"a": "a", "b": "b", "size": 16}])"), "p.json"),
                    "p.json: paired[0]: no row is named 'b'");
  CHECK_THROWS_WITH(Plan::from_json(plan_with("{" + base + "}", R"(, "paired": [{"a": "a", "b": "a", "size": 16, "seeds": [2]}])"), "p.json"),
                    "p.json: paired[0]: seeds: row 'a' has no seed 2 at size 16");
  CHECK_THROWS_WITH(Plan::from_json(plan_with("{" + base + "}, {" + base + "}"), "p.json"),
                    "p.json: runs[1]: name 'a' is used twice");
  CHECK_THROWS_WITH(Plan::from_json(Json::parse(R"({"runs": [{)" + base + "}]}"), "p.json"),
                    "p.json: runs[0] 'a': seeds: a row (or the plan) must list its seeds");
  // Sizes set the model's input and scale; seeds per size.
  const Plan p = Plan::from_json(
      plan_with(R"({"name": "a", "config": ")" + cfg + R"(", "sizes": [8, 16, 32], "seeds": {"8": [1], "16": [1, 2], "32": [3]}})"),
      "p.json");
  const std::vector<PlannedRun> runs = p.runs();
  REQUIRE(runs.size() == 4);
  CHECK(runs[0].id == "a-8x8-s1");
  CHECK(runs[0].config.model.in_h == 8);
  CHECK(runs[0].config.model.scale == 8);
  CHECK(runs[2].id == "a-16x16-s2");
  CHECK(runs[2].config.seed == 2);
  CHECK(runs[3].id == "a-32x32-s3");
  CHECK(runs[3].config.model.scale == 2);
}

TEST_CASE("the runner trains a plan, skips finished runs, resumes interrupted ones bit-exactly") {
  const std::string dir = fresh_dir("runner");
  const Plan plan = Plan::read(tiny_plan(dir));
  // Interrupted after 3 steps of every run, then continued by the same call ...
  ExperimentOptions stop = quiet_options(dir + "/out");
  stop.stop_after = 3;
  ExperimentResult first = run_experiment(plan, stop);
  for (const RunOutcome& o : first.runs) CHECK(o.state == RunState::Partial);
  CHECK_FALSE(first.complete());
  const ExperimentResult done = run_experiment(plan, quiet_options(dir + "/out"));
  REQUIRE(done.complete());
  // ... gives what one uninterrupted call gives.
  const ExperimentResult whole = run_experiment(plan, quiet_options(dir + "/whole"));
  REQUIRE(whole.complete());
  for (size_t i = 0; i < done.runs.size(); ++i) {
    CAPTURE(done.runs[i].run.id);
    CHECK(metrics_without_rates(dir + "/out/runs/" + done.runs[i].run.id) ==
          metrics_without_rates(dir + "/whole/runs/" + done.runs[i].run.id));
    CHECK(done.runs[i].test.metrics.dump() == whole.runs[i].test.metrics.dump());
  }
  // A finished plan trains and evaluates nothing again: every file stays as it is.
  const std::string checkpoint = dir + "/out/runs/fjl1-16x16-s1/checkpoint.safetensors";
  const std::string before = text_of(checkpoint) + text_of(dir + "/out/runs/fjl1-16x16-s1/eval-test.json");
  const ExperimentResult again = run_experiment(plan, quiet_options(dir + "/out"));
  CHECK(again.complete());
  CHECK(text_of(checkpoint) + text_of(dir + "/out/runs/fjl1-16x16-s1/eval-test.json") == before);

  // The report: one group per row, two seeds, the paper's figure, the paired interval.
  const std::vector<GroupSummary> groups = summarise(plan, again);
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].seeds == std::vector<int64_t>{1, 2});
  write_experiment_report(plan, again, dir + "/out");
  const std::string md = text_of(dir + "/out/results.md");
  CHECK(md.find("| FJL-1 | 16×16 | 2/2 (1, 2) |") != std::string::npos);
  CHECK(md.find("| 0.265 |") != std::string::npos);
  CHECK(md.find("| FJL-1 − MMT-1 | 16×16 | test | 8 | 1, 2 / 1, 2 |") != std::string::npos);
  // A pair limited to one seed compares those runs alone; the mean over both seeds is the mean
  // of the two one-seed differences (per view, each row's seeds are averaged first).
  CHECK(md.find("| FJL-1 − MMT-1 | 16×16 | test | 8 | 2 / 2 |") != std::string::npos);
  const std::vector<PairedComparison> pairs = paired_comparisons(plan, again);
  REQUIRE(pairs.size() == 6);  // three pairs x (val, test)
  for (size_t split = 0; split < 2; ++split) {
    const PairedComparison &both = pairs[split], &one = pairs[2 + split], &two = pairs[4 + split];
    CHECK((both.done && one.done && two.done));
    CHECK(one.seeds_a == std::vector<int64_t>{1});
    CHECK(two.seeds_b == std::vector<int64_t>{2});
    CHECK(both.mean == doctest::Approx((one.mean + two.mean) / 2).epsilon(1e-12));
    CHECK(one.mean != two.mean);
  }
  const Json results = Json::parse(text_of(dir + "/out/results.json"));
  CHECK(results.at("complete").as_bool());
  CHECK(results.at("groups").items().size() == 2);
  CHECK(text_of(dir + "/out/miou-methods.svg").find("</svg>") != std::string::npos);
}

TEST_CASE("the runner refuses a run folder of another configuration and leaves it as it is") {
  const std::string dir = fresh_dir("mismatch");
  const Plan plan = Plan::read(tiny_plan(dir));
  ExperimentOptions o = quiet_options(dir + "/out");
  o.stop_after = 1;
  run_experiment(plan, o);
  const std::string path = dir + "/out/runs/mmt1-16x16-s2/config.json";
  Json cfg = Json::parse(text_of(path));
  cfg.set("lr", 0.5);
  put(path, cfg.dump(2));
  const std::string before = text_of(path);
  CHECK_THROWS_WITH(run_experiment(plan, quiet_options(dir + "/out")),
                    (dir + "/out/runs/mmt1-16x16-s2: holds a run of another configuration (lr: 0.5 there, 0.003 "
                           "in the plan); move the folder away or change the plan").c_str());
  CHECK(text_of(path) == before);
}

TEST_CASE("a run whose teacher another run trains waits for it, side by side with the others") {
  const std::string dir = fresh_dir("teacher");
  const std::string out = dir + "/out";
  tiny_config(dir, "hr", "hr");
  tiny_config(dir, "mmt2", "mmt2", "\"teacher\": \"" + out + "/runs/hr-64x64-s1/best.safetensors\"");
  const std::string path = dir + "/plan.json";
  // mmt2 comes first in the plan, and two jobs could start both at once: it must wait.
  put(path, R"({"test_views": 8, "seeds": [1], "runs": [
      {"name": "mmt2", "config": ")" + dir + R"(/mmt2.json", "sizes": [16]},
      {"name": "hr", "config": ")" + dir + R"(/hr.json"}]})");
  const Plan plan = Plan::read(path);
  const ExperimentResult r = run_experiment(plan, quiet_options(out));
  REQUIRE(r.complete());
  // Its S is the hr run's, so the teacher was there when it started.
  const std::unique_ptr<ULRNet> hr = ULRNet::load(out + "/runs/hr-64x64-s1/best.safetensors");
  const std::unique_ptr<ULRNet> mmt2 = ULRNet::load(out + "/runs/mmt2-16x16-s1/best.safetensors");
  const std::vector<Tensor> a = hr->s().params().parameters(), b = mmt2->s().params().parameters();
  for (size_t t = 0; t < a.size(); ++t)
    for (int64_t i = 0; i < a[t].numel(); ++i) REQUIRE(a[t].data()[i] == b[t].data()[i]);
}

TEST_CASE("run id patterns and the training priority") {
  CHECK(matches_pattern("ours-16x16-*", "ours-16x16-s2"));
  CHECK(matches_pattern("*-8x8-*", "fjl1-8x8-s1"));
  CHECK(matches_pattern("*", ""));
  CHECK(matches_pattern("a*b*c", "axxbyyc"));
  CHECK_FALSE(matches_pattern("a*b*c", "axxbyy"));
  CHECK_FALSE(matches_pattern("ours-16x16-*", "ours-nosad-16x16-s1"));
  CHECK_FALSE(matches_pattern("pp1", "pp1-16x16-s1"));
  Plan p;
  p.priority = {"pp1-*", "*-16x16-*"};
  CHECK(p.priority_of("pp1-16x16-s1") == 0);
  CHECK(p.priority_of("ours-16x16-s3") == 1);
  CHECK(p.priority_of("hr-64x64-s2") == 2);
}

TEST_CASE("bootstrap: the mean and percentile interval of hand-made cases") {
  // Constant differences: every resample has the same mean.
  BootstrapInterval c = bootstrap_mean({0.25, 0.25, 0.25, 0.25}, 500, 7);
  CHECK(c.mean == 0.25);
  CHECK(c.lo == 0.25);
  CHECK(c.hi == 0.25);
  // {0, 1}: resampled means are 0, 0.5, 1 with chances 1/4, 1/2, 1/4, so the 2.5th and 97.5th
  // percentiles are 0 and 1; NaN values are left out first.
  BootstrapInterval b = bootstrap_mean({0.0, std::nan(""), 1.0}, 20000, 3);
  CHECK(b.count == 2);
  CHECK(b.mean == 0.5);
  CHECK(b.lo == 0.0);
  CHECK(b.hi == 1.0);
  // The interval brackets the mean and narrows with more views.
  std::vector<double> small, large;
  for (int i = 0; i < 20; ++i) small.push_back(i % 2);
  for (int i = 0; i < 2000; ++i) large.push_back(i % 2);
  const BootstrapInterval s = bootstrap_mean(small), l = bootstrap_mean(large);
  CHECK(s.lo < 0.5);
  CHECK(s.hi > 0.5);
  CHECK(l.hi - l.lo < (s.hi - s.lo) / 5);
  CHECK(quantile_sorted({1, 2, 3, 4}, 0.5) == 2.5);
  CHECK(quantile_sorted({1, 2, 3, 4}, 0.25) == doctest::Approx(1.75));
  CHECK_THROWS_WITH(bootstrap_mean({std::nan("")}), "bootstrap: no values (all NaN or none)");
}
