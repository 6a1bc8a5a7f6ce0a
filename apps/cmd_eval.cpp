// `ulrseg eval`: segmentation metrics of a weights file on a test split.
#include <cmath>
#include <cstdio>

#include "apps/args.h"
#include "apps/commands.h"
#include "data/classes.h"
#include "engine/error.h"
#include "eval/evaluate.h"

namespace ulr::cli {

static const char* kEvalHelp =
    "usage: ulrseg eval --weights FILE [--data synthetic|DIR] [--split test] [--count N]\n"
    "                   [--data-seed K] [--sensor area|bicubic] [--json] [--threads N]\n\n"
    "Runs the model on the split's views (synthetic: N views rendered at the model's HR size,\n"
    "default 1000) and prints mIoU, pixel accuracy, class accuracy, FWIoU, per-class IoU and\n"
    "PSNR/SSIM of the image the segmenter saw. --json prints one JSON object instead.\n";

int cmd_eval(int argc, char** argv) {
  Args args(argc, argv, {"--json"});
  if (args.help()) {
    std::fputs(kEvalHelp, stdout);
    return 0;
  }
  apply_threads(args);
  std::string weights = args.required("--weights");
  std::string data = args.str("--data", "synthetic");
  std::string split = args.str("--split", "test");
  long long count = args.integer("--count", 1000, 1, 1000000);
  long long data_seed = args.integer("--data-seed", 1, 0, 2147483647);
  std::string sensor_mode = args.str("--sensor", "area");
  bool json = args.has("--json");
  args.finish();
  SensorMode mode;
  try {
    mode = parse_sensor_mode(sensor_mode);
  } catch (const Error& e) {
    throw UsageError(std::string("--sensor: ") + e.what());
  }

  std::unique_ptr<ULRNet> net = ULRNet::load(weights);
  const ModelConfig& mc = net->config();
  ViewSet views = load_view_set(data, uint64_t(data_seed), split, count, mc.out_h(), mc.out_w());
  SensorOptions sensor;
  sensor.mode = mode, sensor.out_h = mc.in_h, sensor.out_w = mc.in_w;
  EvalResult r = evaluate_model(*net, views, sensor);

  Json j = r.to_json();
  j.set("weights", weights).set("method", method_name(net->method())).set("data", data);
  j.set("split", split).set("sensor", sensor_mode);
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%s (%s) on %s/%s, %lld views, %dx%d -> %dx%d, %.1f frames/s\n", weights.c_str(),
              method_name(net->method()), data.c_str(), split.c_str(), (long long)r.frames, mc.in_h,
              mc.in_w, mc.out_h(), mc.out_w(), double(r.frames) / std::max(r.seconds, 1e-9));
  std::printf("  mIoU %.4f   pixel acc %.4f   class acc %.4f   FWIoU %.4f\n", r.cm.miou(),
              r.cm.pixel_accuracy(), r.cm.class_accuracy(), r.cm.fwiou());
  if (net->method() != Method::Hr) std::printf("  SR image: PSNR %.2f dB   SSIM %.4f\n", r.psnr, r.ssim);
  std::vector<double> iou = r.cm.iou();
  std::printf("  per-class IoU:\n");
  for (int c = 0; c < mc.num_classes; ++c) {
    if (std::isnan(iou[size_t(c)])) std::printf("    %2d %-10s    -\n", c, class_name(c));
    else std::printf("    %2d %-10s %.4f\n", c, class_name(c), iou[size_t(c)]);
  }
  return 0;
}

}  // namespace ulr::cli
