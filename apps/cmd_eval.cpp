// `ulrseg eval`: segmentation metrics of one or more weights files on the same views. Reads the
// flags, loads every model (refusing models that segment at different sizes), evaluates each,
// and prints the EvalReport (train/eval_report.h) as text, markdown or JSON.
#include <cstdio>
#include <memory>

#include "apps/args.h"
#include "apps/commands.h"
#include "engine/error.h"
#include "engine/image.h"
#include "train/eval_report.h"

namespace ulr::cli {

namespace {

const char* kEvalHelp =
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

struct EvalOptions {
  std::vector<std::string> weights;
  std::string data, split, sensor_name;
  int64_t count = 0, data_seed = 0, max_pixels = 0;
  SensorMode sensor = SensorMode::Area;
  Format format = Format::Text;
};

EvalOptions read_eval_options(Args& args) {
  EvalOptions o;
  apply_threads(args);
  o.weights = args.all("--weights");
  if (o.weights.empty()) throw UsageError("--weights: required");
  o.data = args.str("--data", "synthetic");
  o.split = args.str("--split", "test");
  o.count = args.integer("--count", 1000, 1, 1000000);
  o.data_seed = args.integer("--data-seed", 1, 0, 2147483647);
  o.sensor_name = args.str("--sensor", "area");
  o.max_pixels = args.integer("--max-pixels", kDefaultMaxPixels, 1, kMaxPixelsCeiling);
  o.format = read_format(args);
  args.finish();
  try {
    o.sensor = parse_sensor_mode(o.sensor_name);
  } catch (const Error& e) {
    throw UsageError(std::string("--sensor: ") + e.what());
  }
  return o;
}

// Every model, loaded before any view is rendered; they must segment at one size.
std::vector<std::unique_ptr<ULRNet>> load_models(const std::vector<std::string>& weights) {
  std::vector<std::unique_ptr<ULRNet>> nets;
  auto size = [](const ModelConfig& c) {
    return std::to_string(c.out_h()) + "x" + std::to_string(c.out_w());
  };
  for (const std::string& w : weights) {
    nets.push_back(ULRNet::load(w));
    const ModelConfig &a = nets.front()->config(), &b = nets.back()->config();
    if (a.out_h() != b.out_h() || a.out_w() != b.out_w())
      throw Error(w + ": segments at " + size(b) + ", " + weights[0] + " at " + size(a) +
                  "; models compared on the same views need one output size");
  }
  return nets;
}

EvalReport run_eval(const EvalOptions& o) {
  std::vector<std::unique_ptr<ULRNet>> nets = load_models(o.weights);
  const ModelConfig& first = nets[0]->config();
  ViewSet views =
      load_view_set(o.data, uint64_t(o.data_seed), o.split, o.count, first.out_h(), first.out_w(),
                    o.max_pixels);
  EvalReport report;
  report.data = o.data, report.split = o.split, report.sensor = o.sensor_name;
  report.data_seed = o.data_seed, report.views = views.size();
  for (size_t i = 0; i < nets.size(); ++i) {
    const ULRNet& net = *nets[i];
    SensorOptions sensor;
    sensor.mode = o.sensor, sensor.out_h = net.config().in_h, sensor.out_w = net.config().in_w;
    auto it = net.metadata().find("train_config");
    report.models.push_back({o.weights[i], net.method(), net.config(),
                             it == net.metadata().end() ? "" : it->second,
                             evaluate_model(net, views, sensor)});
  }
  report.groups = seed_groups(report.models);
  return report;
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  Args args(argc, argv, {"--json", "--markdown"});
  if (args.help()) {
    std::fputs(kEvalHelp, stdout);
    return 0;
  }
  const EvalOptions options = read_eval_options(args);
  const EvalReport report = run_eval(options);
  if (options.format == Format::Json) print_eval_json(report, stdout);
  else if (options.format == Format::Markdown) print_eval_markdown(report, stdout);
  else print_eval_text(report, stdout);
  return 0;
}

}  // namespace ulr::cli
