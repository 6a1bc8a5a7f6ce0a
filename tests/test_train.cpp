// The trainer: a small run learns, a resumed run is bit-identical to an uninterrupted one (also
// from a checkpoint of the first format), a refused resume changes nothing, a resumed run's
// metrics hold each step once, stale temp files go, and a non-finite loss stops the run with a
// message naming the step and the term.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <unistd.h>

#include "engine/fileio.h"
#include "engine/json.h"
#include "engine/safetensors.h"
#include "engine/parallel.h"
#include "eval/metrics.h"
#include "train/experiments.h"
#include "train/trainer.h"

using namespace ulr;

namespace {

TrainConfig small_config(Method method) {
  TrainConfig c;
  c.method = method;
  c.model.g_channels = 8, c.model.g_blocks = 1, c.model.g_heads = 2, c.model.g_up_channels = {8, 8, 8};
  c.model.s_channels = {16, 16, 32, 32}, c.model.s_heads = 2, c.model.s_groups = 4, c.model.d_channels = {8};
  c.use_afe = false;
  c.batch = 8;
  c.warmup = 5;
  c.lr = 3e-3f;
  c.train_views = 96;
  c.val_views = 32;
  return c;
}

std::string run_dir(const std::string& name) {
  std::string d = "/tmp/ulrseg_test_train_" + name;
  std::string cmd = "rm -rf " + d;
  REQUIRE(std::system(cmd.c_str()) == 0);
  return d;
}

// The training and validation views a config asks for.
struct Views {
  ViewSet train, val;
  explicit Views(const TrainConfig& cfg)
      : train(load_views(cfg, "train", cfg.train_views)), val(load_views(cfg, "val", cfg.val_views)) {}
};

// Options of a quiet run in a fresh folder.
TrainOptions quiet_run(const std::string& name) {
  TrainOptions o;
  o.out_dir = run_dir(name);
  o.quiet = true;
  return o;
}

// A 2 + 2 step run on 16 views: both stages, in seconds.
TrainConfig four_step_config(Method method) {
  TrainConfig c = small_config(method);
  c.stage1_steps = 2;
  c.steps = 2;
  c.eval_every = 2;
  c.train_views = 16;
  c.val_views = 8;
  return c;
}

// The losses of a run stopped and then resumed must be those of the uninterrupted run, bit for bit.
void check_joined(const TrainResult& before, const TrainResult& after, const TrainResult& whole) {
  std::vector<double> joined = before.losses;
  joined.insert(joined.end(), after.losses.begin(), after.losses.end());
  REQUIRE(joined.size() == whole.losses.size());
  for (size_t i = 0; i < joined.size(); ++i) {
    INFO("step " << i);
    CHECK(joined[i] == whole.losses[i]);
  }
}

std::string read_text(const std::string& path) {
  std::vector<unsigned char> bytes = read_file(path);
  return std::string(bytes.begin(), bytes.end());
}

void write_text(const std::string& path, const std::string& text) { write_file_atomic(path, text.data(), text.size()); }

// metrics.jsonl without the one value that depends on timing (samples_per_s).
std::vector<std::string> metrics_records(const std::string& path) {
  std::vector<std::string> records;
  const std::string text = read_text(path);
  for (size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1) {
    Json line = Json::parse(text.substr(at, end - at)), kept = Json::object();
    for (const auto& [k, v] : line.members())
      if (k != "samples_per_s") kept.set(k, v);
    records.push_back(kept.dump());
  }
  return records;
}

// mIoU of always predicting the most frequent class of the set.
double majority_miou(const ViewSet& views, int K) {
  std::vector<int64_t> count(size_t(K), 0);
  for (uint8_t v : views.labels.data)
    if (v < K) count[v]++;
  int best = int(std::max_element(count.begin(), count.end()) - count.begin());
  Labels pred(views.labels.shape, uint8_t(best));
  ConfusionMatrix cm(K);
  cm.add(views.labels, pred);
  return cm.miou();
}

}  // namespace

TEST_CASE("the confusion matrix's JSON carries its counts, rows by ground truth") {
  ConfusionMatrix cm(3);
  const uint8_t gt[] = {0, 0, 1, 2, 2, 2, 255}, pred[] = {0, 1, 1, 2, 0, 2, 1};
  cm.add(gt, pred, 7);
  const Json j = cm.to_json();
  const int64_t want[3][3] = {{1, 1, 0}, {0, 1, 0}, {1, 0, 2}};
  REQUIRE(j.at("confusion").size() == 3);
  for (int g = 0; g < 3; ++g) {
    REQUIRE(j.at("confusion").items()[size_t(g)].size() == 3);
    for (int p = 0; p < 3; ++p) CHECK(j.at("confusion").items()[size_t(g)].items()[size_t(p)].as_int() == want[g][p]);
  }
  CHECK(j.at("pixels").as_int() == 6);
}

TEST_CASE("a short run learns: validation mIoU far above the majority-class predictor") {
  TrainConfig cfg = small_config(Method::Mmt1);
  cfg.model.scale = 2;  // 16x16 frames -> 32x32 segmentation keeps the run inside the test budget
  cfg.steps = 300;
  cfg.eval_every = 100;
  cfg.lr = 5e-3f;
  Views views(cfg);
  TrainOptions opt = quiet_run("learns");
  TrainResult r = train(cfg, views.train, views.val, opt);
  double chance = majority_miou(views.val, cfg.model.num_classes);
  MESSAGE("val mIoU " << r.best_val_miou << " vs majority-class " << chance << "; loss "
                      << r.losses.front() << " -> " << r.losses.back());
  CHECK(r.steps_done == 300);
  CHECK(r.losses.back() < 0.75 * r.losses.front());
  CHECK(r.best_val_miou > 2.0 * chance);
  CHECK(file_exists(opt.out_dir + "/best.safetensors"));
  CHECK(file_exists(opt.out_dir + "/metrics.jsonl"));
  CHECK(file_exists(opt.out_dir + "/config.json"));
}

TEST_CASE("resume continues bit-exactly (joint method with the SAD, both stages)") {
  TrainConfig cfg = small_config(Method::Joint);
  cfg.stage1_steps = 3;
  cfg.steps = 7;
  cfg.eval_every = 4;
  cfg.train_views = 24;  // several epochs in 10 steps: the epoch re-entry is exercised
  cfg.val_views = 8;
  Views views(cfg);

  TrainOptions whole = quiet_run("whole");
  TrainResult a = train(cfg, views.train, views.val, whole);
  REQUIRE(a.losses.size() == 10);

  TrainOptions first = whole;
  first.out_dir = run_dir("split");
  first.stop_after = 5;  // stops inside stage 2, mid-epoch
  TrainResult b1 = train(cfg, views.train, views.val, first);
  CHECK(b1.interrupted);
  CHECK(b1.steps_done == 5);
  TrainOptions second = first;
  second.stop_after = -1;
  second.resume = true;
  TrainResult b2 = train(cfg, views.train, views.val, second);
  CHECK(b2.steps_done == 10);
  check_joined(b1, b2, a);
  CHECK(b2.best_val_miou == a.best_val_miou);

  // A different configuration refuses to resume.
  TrainConfig other = cfg;
  other.lr = 1e-2f;
  CHECK_THROWS_WITH(train(other, views.train, views.val, second), doctest::Contains("different configuration"));
}

TEST_CASE("resume accepts a checkpoint written before a config key existed, if it holds the default") {
  TrainConfig cfg = four_step_config(Method::Joint);
  Views views(cfg);

  TrainOptions whole = quiet_run("oldkey-whole");
  TrainResult a = train(cfg, views.train, views.val, whole);

  TrainOptions first = whole;
  first.out_dir = run_dir("oldkey-split");
  first.stop_after = 3;
  TrainResult b1 = train(cfg, views.train, views.val, first);
  REQUIRE(b1.steps_done == 3);

  // Rewrite the checkpoint as an older build would have: its config without `sad_fake`.
  const std::string ckpt = first.out_dir + "/checkpoint.safetensors";
  SafetensorsFile f = SafetensorsFile::read(ckpt);
  Json full = Json::parse(f.metadata().at("config")), old = Json::object();
  REQUIRE(full.has("sad_fake"));
  for (const auto& [k, v] : full.members())
    if (k != "sad_fake") old.set(k, v);
  SafetensorsWriter w;
  w.add_file(f);
  w.set_metadata("config", old.dump());
  w.write(ckpt);

  TrainOptions second = first;
  second.stop_after = -1;
  second.resume = true;
  TrainConfig hard = cfg;
  hard.sad_fake = SadFake::Hard;  // the old build knew only the soft map: refused
  CHECK_THROWS_WITH(train(hard, views.train, views.val, second), doctest::Contains("different configuration"));
  TrainResult b2 = train(cfg, views.train, views.val, second);  // the default: accepted, bit-exact
  check_joined(b1, b2, a);
}

TEST_CASE("a refused resume changes nothing in the run folder") {
  TrainConfig cfg = four_step_config(Method::Joint);
  Views views(cfg);
  TrainOptions opt = quiet_run("refused");
  opt.stop_after = 3;
  train(cfg, views.train, views.val, opt);
  const std::string ckpt = opt.out_dir + "/checkpoint.safetensors";
  const std::string config = read_text(opt.out_dir + "/config.json");
  const std::string metrics = read_text(opt.out_dir + "/metrics.jsonl");
  opt.resume = true;

  TrainConfig other = cfg;
  other.lr = 1e-2f;
  CHECK_THROWS_WITH(train(other, views.train, views.val, opt), doctest::Contains("different configuration"));
  CHECK(read_text(opt.out_dir + "/config.json") == config);  // the run's configuration survives
  CHECK(read_text(opt.out_dir + "/metrics.jsonl") == metrics);

  // A checkpoint of a later format is refused by name and version.
  SafetensorsWriter w;
  w.add_file(SafetensorsFile::read(ckpt));
  w.set_metadata("version", std::to_string(kCheckpointVersion + 1));
  w.write(ckpt);
  const std::string refused = ckpt + ": checkpoint version '2' is not supported (this build reads version 1)";
  CHECK_THROWS_WITH(train(cfg, views.train, views.val, opt), doctest::Contains(refused.c_str()));
  CHECK(read_text(opt.out_dir + "/metrics.jsonl") == metrics);
}

TEST_CASE("--resume without a checkpoint names the folder and creates nothing") {
  TrainConfig cfg = four_step_config(Method::Mmt1);
  Views views(cfg);
  TrainOptions opt = quiet_run("nothing-to-resume");
  opt.resume = true;
  CHECK_THROWS_WITH(train(cfg, views.train, views.val, opt),
                    doctest::Contains((opt.out_dir + ": no checkpoint to resume (" + opt.out_dir +
                                       "/checkpoint.safetensors does not exist)").c_str()));
  CHECK_FALSE(file_exists(opt.out_dir));
}

TEST_CASE("a resumed run cuts metrics.jsonl back to its checkpoint: every step logged once") {
  TrainConfig cfg = four_step_config(Method::Fjl1);
  Views views(cfg);
  TrainOptions whole = quiet_run("cut-whole");
  whole.log_every = 1;
  train(cfg, views.train, views.val, whole);

  TrainOptions split = whole;
  split.out_dir = run_dir("cut-split");
  split.stop_after = 3;
  train(cfg, views.train, views.val, split);
  // As a run killed after its checkpoint at step 3 leaves it: lines past step 3, the last one cut
  // short by the kill.
  const std::string metrics = split.out_dir + "/metrics.jsonl";
  write_text(metrics, read_text(metrics) + "{\"step\":4,\"stage\":2,\"loss\":1}\n" +
                          "{\"step\":4,\"val_miou\":0.5}\n{\"step\":5,\"lo");
  split.stop_after = -1;
  split.resume = true;
  train(cfg, views.train, views.val, split);
  const std::vector<std::string> want = metrics_records(whole.out_dir + "/metrics.jsonl");
  REQUIRE(want.size() == 5);  // steps 1-4 and the validation at 4
  CHECK(metrics_records(metrics) == want);
}

TEST_CASE("a run removes the temp files of its files that a killed writer left, and only those") {
  TrainConfig cfg = four_step_config(Method::Mmt1);
  Views views(cfg);
  TrainOptions opt = quiet_run("stale");
  make_dirs(opt.out_dir);
  const std::string gone = ".tmp.999999999";  // above any pid_max: no such process
  const std::vector<std::string> stale = {"checkpoint.safetensors" + gone, "config.json" + gone,
                                          "metrics.jsonl" + gone, "best.safetensors" + gone};
  const std::vector<std::string> kept = {"checkpoint.safetensors.tmp.1",  // pid 1 runs: it may be writing
                                         "notes.txt" + gone, "checkpoint.safetensors.tmp.12x", "config.json.tmp."};
  auto plant = [&](const std::vector<std::string>& names) {
    for (const std::string& name : names) write_text(opt.out_dir + "/" + name, "partial");
  };
  plant(stale);
  plant(kept);
  train(cfg, views.train, views.val, opt);
  for (const std::string& name : stale) CHECK_MESSAGE(!file_exists(opt.out_dir + "/" + name), name);
  for (const std::string& name : kept) CHECK_MESSAGE(file_exists(opt.out_dir + "/" + name), name);

  plant(stale);  // a resumed run too, once its checkpoint is accepted
  opt.resume = true;
  train(cfg, views.train, views.val, opt);
  for (const std::string& name : stale) CHECK_MESSAGE(!file_exists(opt.out_dir + "/" + name), name);
}

TEST_CASE("a checkpoint of the first format (no version key) resumes bit-exactly") {
  // The committed fixture was written by the build before checkpoints carried a version: a joint
  // run with the SAD, hard fake maps, G at half the learning rate, stopped after 3 of 2 + 4
  // steps (inside stage 2). Another compiler or CPU rounds differently, so the fixture proves
  // that such a file is read and continued; bit-exactness is proven on this build's own
  // checkpoint with its version key removed, which is then a file of the first format.
  const std::string fixture = ULRSEG_SOURCE_DIR "/tests/fixtures/checkpoint-v1.safetensors";
  SafetensorsFile f = SafetensorsFile::read(fixture);
  REQUIRE_FALSE(f.metadata().count("version"));
  REQUIRE(f.metadata().at("step") == "3");
  TrainConfig cfg = TrainConfig::from_json(Json::parse(f.metadata().at("config")), fixture);
  Views views(cfg);
  auto resume_from = [&](const SafetensorsFile& checkpoint, const std::string& name) {
    TrainOptions opt = quiet_run(name);
    make_dirs(opt.out_dir);
    SafetensorsWriter copy;
    copy.add_file(checkpoint);
    copy.write(opt.out_dir + "/checkpoint.safetensors");
    opt.resume = true;
    TrainResult r = train(cfg, views.train, views.val, opt);
    CHECK(SafetensorsFile::read(opt.out_dir + "/checkpoint.safetensors").metadata().at("version") == "1");
    return r;
  };
  CHECK(resume_from(f, "v1-fixture").losses.size() == 3);

  TrainResult whole = train(cfg, views.train, views.val, quiet_run("v1-whole"));
  REQUIRE(whole.losses.size() == 6);
  TrainOptions first = quiet_run("v1-first");
  first.stop_after = 3;
  train(cfg, views.train, views.val, first);
  SafetensorsFile own = SafetensorsFile::read(first.out_dir + "/checkpoint.safetensors");
  SafetensorsWriter stripped;  // the same checkpoint as the first format wrote it
  for (const SafetensorsEntry& e : own.entries())
    stripped.add_raw(e.name, e.dtype, e.shape,
                     std::vector<unsigned char>(own.bytes(e), own.bytes(e) + (e.end - e.begin)));
  for (const auto& kv : own.metadata())
    if (kv.first != "version") stripped.set_metadata(kv.first, kv.second);
  const std::string stripped_path = first.out_dir + "/stripped.safetensors";
  stripped.write(stripped_path);
  SafetensorsFile old_format = SafetensorsFile::read(stripped_path);
  REQUIRE_FALSE(old_format.metadata().count("version"));
  TrainResult resumed = resume_from(old_format, "v1-resumed");
  REQUIRE(resumed.losses.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    INFO("step " << 3 + i);
    CHECK(resumed.losses[i] == whole.losses[3 + i]);
  }
  CHECK(resumed.best_val_miou == whole.best_val_miou);
}

TEST_CASE("training losses do not depend on the thread count") {
  TrainConfig cfg = four_step_config(Method::Fjl1);
  Views views(cfg);
  TrainOptions opt;
  opt.quiet = true;
  std::vector<double> l1, l2;
  {
    ThreadScope t(1);
    opt.out_dir = run_dir("t1");
    l1 = train(cfg, views.train, views.val, opt).losses;
  }
  {
    ThreadScope t(2);
    opt.out_dir = run_dir("t2");
    l2 = train(cfg, views.train, views.val, opt).losses;
  }
  CHECK(l1 == l2);
}

TEST_CASE("a non-finite loss stops the run, naming the step and the term") {
  TrainConfig cfg = small_config(Method::Fjl1);
  cfg.stage1_steps = 2;
  cfg.steps = 2;
  cfg.train_views = 8;
  cfg.val_views = 8;
  cfg.augment = false;
  Views views(cfg);
  for (int64_t i = 0; i < views.train.hr.numel(); i += 97) views.train.hr.data()[i] = NAN;
  TrainOptions opt = quiet_run("nan");
  CHECK_THROWS_WITH(train(cfg, views.train, views.val, opt), doctest::Contains("step 0: loss term 'mse' is not finite"));
}

TEST_CASE("config: unknown keys and bad values name the key") {
  TrainConfig c;
  CHECK_THROWS_WITH(c.set("stpes=3"), doctest::Contains("unknown key 'stpes'"));
  CHECK_THROWS_WITH(c.set("steps=-3"), doctest::Contains("steps"));
  CHECK_THROWS_WITH(c.set("model.scale=3"), doctest::Contains("scale must be 2, 4 or 8"));
  CHECK_THROWS_WITH(c.set("sensor=fisheye"), doctest::Contains("sensor: expected area or bicubic, got \"fisheye\""));
  CHECK_THROWS_WITH(c.set("method=magic"), doctest::Contains("method: expected joint, fjl1, mmt1, hr, pp1, pp2 or mmt2, got \"magic\""));
  CHECK_THROWS_WITH(c.set("sad_real_tau=1.5"), doctest::Contains("sad_real_tau"));
  CHECK_THROWS_WITH(c.set("sad_fake=sharp"), doctest::Contains("sad_fake: expected soft or hard, got \"sharp\""));
  c.set("sad_fake=hard");
  CHECK(c.sad_fake == SadFake::Hard);
  c.set("steps=12");
  CHECK(c.steps == 12);
  c.set("model.g_channels=16");
  CHECK(c.model.g_channels == 16);
  TrainConfig back = TrainConfig::from_json(c.to_json(), "round trip");
  CHECK(back.to_json().dump() == c.to_json().dump());
}

TEST_CASE("the SAD's real segmentation: one-hot at tau 1, scaled GT below") {
  const int K = 4;
  Labels labels;
  labels.shape = {1, 1, 3};
  labels.data = {2, 0, 255};  // the last pixel is ignored
  Tensor probs = Tensor::zeros({1, K, 1, 3});
  const float p[3][K] = {{0.1f, 0.2f, 0.6f, 0.1f}, {0.05f, 0.05f, 0.5f, 0.4f}, {0.25f, 0.25f, 0.25f, 0.25f}};
  for (int i = 0; i < 3; ++i)
    for (int c = 0; c < K; ++c) probs.data()[c * 3 + i] = p[i][c];
  auto at = [](const Tensor& t, int c, int i) { return t.data()[c * 3 + i]; };

  Tensor one = sad_real_segmentation(labels, probs, 1.0f);
  for (int c = 0; c < K; ++c) {
    CHECK(at(one, c, 0) == (c == 2 ? 1.0f : 0.0f));
    CHECK(at(one, c, 1) == (c == 0 ? 1.0f : 0.0f));
    CHECK(at(one, c, 2) == 0.0f);
  }
  Tensor scaled = sad_real_segmentation(labels, probs, 0.9f);
  // Pixel 0: S already gives the GT 0.6 < 0.9, so the GT gets 0.9 and the rest 0.1 in S's
  // proportions (0.1 : 0.2 : 0.1 of 0.4).
  CHECK(at(scaled, 2, 0) == doctest::Approx(0.9));
  CHECK(at(scaled, 0, 0) == doctest::Approx(0.025));
  CHECK(at(scaled, 1, 0) == doctest::Approx(0.05));
  CHECK(at(scaled, 3, 0) == doctest::Approx(0.025));
  // Pixel 1: GT class 0 at 0.9, the rest (0.1) split 0.05 : 0.5 : 0.4 of 0.95.
  CHECK(at(scaled, 0, 1) == doctest::Approx(0.9));
  CHECK(at(scaled, 2, 1) == doctest::Approx(0.1 * 0.5 / 0.95));
  float sum = 0;
  for (int c = 0; c < K; ++c) {
    sum += at(scaled, c, 1);
    CHECK(at(scaled, c, 2) == 0.0f);
  }
  CHECK(sum == doctest::Approx(1.0));
  // A GT probability above tau is kept as S gives it.
  CHECK(at(sad_real_segmentation(labels, probs, 0.5f), 2, 0) == doctest::Approx(0.6));
}

TEST_CASE("the SAD's hard fake segmentation: one-hot argmax forward, softmax gradient backward") {
  const int K = 3, HW = 2;
  Tensor logits = Tensor::zeros({1, K, 1, HW});
  const float l[HW][K] = {{0.3f, 1.2f, -0.5f}, {2.0f, 0.1f, 1.9f}};
  for (int i = 0; i < HW; ++i)
    for (int c = 0; c < K; ++c) logits.data()[c * HW + i] = l[i][c];
  logits.set_requires_grad(true);
  Tensor probs = softmax(logits, 1);
  CHECK(sad_fake_segmentation(probs, false).data() == probs.data());  // soft: the paper's input

  Tensor hard = sad_fake_segmentation(probs, true);
  const int argmax[HW] = {1, 0};
  for (int i = 0; i < HW; ++i)
    for (int c = 0; c < K; ++c) CHECK(hard.data()[c * HW + i] == (c == argmax[i] ? 1.0f : 0.0f));
  // The weighted sum of the hard map has the gradient of the same sum of the probabilities.
  Tensor r = Tensor::zeros(probs.shape());
  for (int64_t i = 0; i < r.numel(); ++i) r.data()[i] = 0.1f * float(i + 1) * (i % 2 ? -1.0f : 1.0f);
  backward(sum(mul(hard, r)));
  std::vector<float> straight(logits.grad().data(), logits.grad().data() + logits.numel());
  logits.zero_grad();
  backward(sum(mul(softmax(logits, 1), r)));
  for (int64_t i = 0; i < logits.numel(); ++i) CHECK(straight[size_t(i)] == doctest::Approx(logits.grad().data()[i]));
}

TEST_CASE("experiments: runs group by training configuration without the seed") {
  CHECK(spread({}).mean == 0.0);
  Spread s = spread({0.30, 0.34, 0.32});
  CHECK(s.mean == doctest::Approx(0.32));
  CHECK(s.sd == doctest::Approx(0.02));  // sample standard deviation
  CHECK(s.min == 0.30);
  CHECK(s.max == 0.34);
  CHECK(spread({0.5}).sd == 0.0);

  auto config = [](Method method, uint64_t seed, const char* extra) {
    TrainConfig c;
    c.method = method, c.seed = seed;
    if (*extra) c.set(extra);
    return c.to_json().dump();
  };
  // A config written before sad_fake existed groups with one holding its default.
  Json old = Json::parse(config(Method::Joint, 3, ""));
  Json without = Json::object();
  for (const auto& [k, v] : old.members())
    if (k != "sad_fake") without.set(k, v);
  std::vector<RunScore> runs = {
      {"a", config(Method::Joint, 1, ""), 0.30, 0.70, 19.0},
      {"b", config(Method::Fjl1, 1, ""), 0.40, 0.80, 21.0},
      {"c", config(Method::Joint, 2, ""), 0.34, 0.72, 20.0},
      {"d", config(Method::Joint, 1, "sad_fake=hard"), 0.50, 0.90, 18.0},
      {"e", "", 0.20, 0.60, 17.0},
      {"f", without.dump(), 0.32, 0.74, 21.0},
      {"g", "{\"bogus\": 1}", 0.10, 0.50, 16.0},
  };
  std::vector<SeedGroup> groups = group_by_seed(runs);
  REQUIRE(groups.size() == 5);
  CHECK(groups[0].label == "joint (sad_fake=soft)");
  CHECK(groups[0].runs == std::vector<size_t>{0, 2, 5});
  CHECK(groups[0].seeds == std::vector<int64_t>{1, 2, 3});
  CHECK(groups[0].miou.mean == doctest::Approx(0.32));
  CHECK(groups[0].psnr.mean == doctest::Approx(20.0));
  CHECK(groups[1].label == "fjl1");
  CHECK(groups[2].label == "joint (sad_fake=hard)");
  CHECK(groups[3].label == "e");  // no training configuration: a group of its own
  CHECK(groups[3].seeds == std::vector<int64_t>{-1});
  CHECK(groups[4].label == "g");  // one this version cannot read, too
  std::string md = seed_groups_markdown(groups);
  CHECK(md.find("| joint (sad_fake=soft) | 3 (1, 2, 3) | 0.320 ± 0.020 | 0.300–0.340 | 0.720 | 20.00 |") !=
        std::string::npos);
  CHECK(md.find("| e | 1 (?) |") != std::string::npos);
}
