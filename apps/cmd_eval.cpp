// `ulrseg eval`: segmentation metrics of a weights file on a test split.
#include <cmath>
#include <cstdio>

#include "apps/args.h"
#include "apps/commands.h"
#include "data/classes.h"
#include "engine/error.h"
#include "engine/image.h"
#include "eval/evaluate.h"
#include "train/experiments.h"

namespace ulr::cli {

static const char* kEvalHelp =
    "usage: ulrseg eval --weights FILE [--weights FILE2 ...] [--data synthetic|DIR] [--split test]\n"
    "                   [--count N] [--data-seed K] [--sensor area|bicubic] [--json | --markdown]\n"
    "                   [--max-pixels N] [--threads N]\n\n"
    "Runs each model on the same views (synthetic: N views of the split rendered at the model's HR\n"
    "size, default 1000) and prints mIoU, pixel accuracy, class accuracy, FWIoU, per-class IoU and\n"
    "PSNR/SSIM of the image the segmenter saw. --json prints one JSON object (with several\n"
    "--weights: {\"models\": [...]}); --markdown prints the comparison as markdown tables.\n"
    "Weights trained with the same configuration but for the seed (their train_config metadata)\n"
    "are also summarised together: mean, standard deviation and range over the seeds\n"
    "(\"groups\" in --json). --max-pixels: the most pixels a dataset image may declare (default\n"
    "4096x4096 = 16777216).\n";

static std::string cell(double v, const char* fmt = "%.3f") {
  if (std::isnan(v)) return "–";
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

int cmd_eval(int argc, char** argv) {
  Args args(argc, argv, {"--json", "--markdown"});
  if (args.help()) {
    std::fputs(kEvalHelp, stdout);
    return 0;
  }
  apply_threads(args);
  std::vector<std::string> weights = args.all("--weights");
  if (weights.empty()) throw UsageError("--weights: required");
  std::string data = args.str("--data", "synthetic");
  std::string split = args.str("--split", "test");
  long long count = args.integer("--count", 1000, 1, 1000000);
  long long data_seed = args.integer("--data-seed", 1, 0, 2147483647);
  std::string sensor_mode = args.str("--sensor", "area");
  const long long max_pixels = args.integer("--max-pixels", kDefaultMaxPixels, 1, kMaxPixelsCeiling);
  bool json = args.has("--json"), markdown = args.has("--markdown");
  args.finish();
  if (json && markdown) throw UsageError("--json and --markdown: choose one");
  SensorMode mode;
  try {
    mode = parse_sensor_mode(sensor_mode);
  } catch (const Error& e) {
    throw UsageError(std::string("--sensor: ") + e.what());
  }

  std::vector<std::unique_ptr<ULRNet>> nets;
  for (const std::string& w : weights) {
    nets.push_back(ULRNet::load(w));
    const ModelConfig &a = nets.front()->config(), &b = nets.back()->config();
    if (a.out_h() != b.out_h() || a.out_w() != b.out_w())
      throw Error(w + ": segments at " + std::to_string(b.out_h()) + "x" + std::to_string(b.out_w()) + ", " +
                  weights[0] + " at " + std::to_string(a.out_h()) + "x" + std::to_string(a.out_w()) +
                  "; models compared on the same views need one output size");
  }
  const ModelConfig& first = nets[0]->config();
  ViewSet views = load_view_set(data, uint64_t(data_seed), split, count, first.out_h(), first.out_w(),
                                max_pixels);
  std::vector<EvalResult> results;
  Json all = Json::array();
  for (size_t i = 0; i < nets.size(); ++i) {
    const ModelConfig& mc = nets[i]->config();
    SensorOptions sensor;
    sensor.mode = mode, sensor.out_h = mc.in_h, sensor.out_w = mc.in_w;
    results.push_back(evaluate_model(*nets[i], views, sensor));
    Json j = results.back().to_json();
    j.set("weights", weights[i]).set("method", method_name(nets[i]->method())).set("data", data);
    j.set("split", split).set("sensor", sensor_mode);
    all.push(j);
  }

  std::vector<RunScore> scores;
  for (size_t i = 0; i < nets.size(); ++i) {
    const auto& md = nets[i]->metadata();
    auto it = md.find("train_config");
    bool hr = nets[i]->method() == Method::Hr;
    scores.push_back({weights[i], it == md.end() ? "" : it->second, results[i].cm.miou(),
                      results[i].cm.pixel_accuracy(), hr ? std::nan("") : results[i].psnr});
  }
  std::vector<SeedGroup> groups = group_by_seed(scores);
  const bool seeds_repeat = groups.size() < nets.size();

  if (json) {
    if (nets.size() == 1) {
      std::printf("%s\n", all.items()[0].dump(2).c_str());
    } else {
      Json j = Json::object();
      j.set("views", int64_t(views.size())).set("models", all);
      Json group_list = Json::array();
      for (const SeedGroup& g : groups) group_list.push(g.to_json());
      j.set("groups", group_list);
      std::printf("%s\n", j.dump(2).c_str());
    }
    return 0;
  }
  if (markdown) {
    std::printf("%lld views of %s/%s (data seed %lld), sensor %s\n\n", (long long)views.size(), data.c_str(),
                split.c_str(), data_seed, sensor_mode.c_str());
    std::printf("| weights | method | input | mIoU | pixel acc | class acc | FWIoU | PSNR (dB) | SSIM |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < nets.size(); ++i) {
      const EvalResult& r = results[i];
      const ModelConfig& mc = nets[i]->config();
      bool hr = nets[i]->method() == Method::Hr;
      std::printf("| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n", weights[i].c_str(),
                  method_name(nets[i]->method()),
                  hr ? (std::to_string(mc.out_h()) + "x" + std::to_string(mc.out_w()) + " (HR)").c_str()
                     : (std::to_string(mc.in_h) + "x" + std::to_string(mc.in_w)).c_str(),
                  cell(r.cm.miou()).c_str(), cell(r.cm.pixel_accuracy()).c_str(), cell(r.cm.class_accuracy()).c_str(),
                  cell(r.cm.fwiou()).c_str(), hr ? "–" : cell(r.psnr, "%.2f").c_str(), hr ? "–" : cell(r.ssim).c_str());
    }
    std::printf("\nPer-class IoU:\n\n| class |");
    for (size_t i = 0; i < nets.size(); ++i) std::printf(" %s |", method_name(nets[i]->method()));
    std::printf("\n|---|");
    for (size_t i = 0; i < nets.size(); ++i) std::printf("---|");
    std::printf("\n");
    for (int c = 0; c < first.num_classes; ++c) {
      std::printf("| %s |", class_name(c));
      for (const EvalResult& r : results) std::printf(" %s |", cell(r.cm.iou()[size_t(c)]).c_str());
      std::printf("\n");
    }
    if (seeds_repeat)
      std::printf("\nOver seeds (weights with the same training configuration but for the seed):\n\n%s",
                  seed_groups_markdown(groups).c_str());
    return 0;
  }
  for (size_t i = 0; i < nets.size(); ++i) {
    const EvalResult& r = results[i];
    const ModelConfig& mc = nets[i]->config();
    std::printf("%s (%s) on %s/%s, %lld views, %dx%d -> %dx%d, %.1f frames/s\n", weights[i].c_str(),
                method_name(nets[i]->method()), data.c_str(), split.c_str(), (long long)r.frames, mc.in_h,
                mc.in_w, mc.out_h(), mc.out_w(), double(r.frames) / std::max(r.seconds, 1e-9));
    std::printf("  mIoU %.4f   pixel acc %.4f   class acc %.4f   FWIoU %.4f\n", r.cm.miou(),
                r.cm.pixel_accuracy(), r.cm.class_accuracy(), r.cm.fwiou());
    if (nets[i]->method() != Method::Hr) std::printf("  SR image: PSNR %.2f dB   SSIM %.4f\n", r.psnr, r.ssim);
    std::vector<double> iou = r.cm.iou();
    std::printf("  per-class IoU:\n");
    for (int c = 0; c < mc.num_classes; ++c)
      std::printf("    %2d %-10s %s\n", c, class_name(c), cell(iou[size_t(c)], "%.4f").c_str());
  }
  if (seeds_repeat) std::printf("over seeds:\n%s", seed_groups_markdown(groups).c_str());
  return 0;
}

}  // namespace ulr::cli
