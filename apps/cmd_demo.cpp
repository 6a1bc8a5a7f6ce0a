// `ulrseg demo`: the main job on the embedded default. Renders unseen synthetic test views,
// hands only their 16x16 frames to the shipped models, prints mIoU and pixel accuracy for ours
// and the baselines, and writes a mosaic: HR view (reference only) | ULR input | SR | prediction
// | ground truth.
#include <cstdio>

#include "apps/args.h"
#include "apps/commands.h"
#include "data/classes.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "eval/evaluate.h"
#include "infer/visualize.h"
#include "ops/ops.h"

namespace ulr::cli {

static const char* kDemoHelp =
    "usage: ulrseg demo [--weights-dir DIR] [--count N] [--out DIR] [--rows N] [--json] [--threads N]\n\n"
    "Renders N unseen synthetic test views (default 300), runs the shipped models on their 16x16\n"
    "frames (DIR/ulrnet-{joint,fjl1,mmt1}-16x16.safetensors, default weights/), prints mIoU and\n"
    "pixel accuracy of each, and writes OUT/demo_mosaic.png (default out/): per row the HR view\n"
    "(for reference only), the 16x16 input, SR, prediction and ground truth.\n";

static Image chw_image(const Tensor& t, int64_t index) {
  Tensor one = slice(t, 0, index, index + 1);
  return tensor_to_image(reshape(one, {3, t.size(2), t.size(3)}));
}

int cmd_demo(int argc, char** argv) {
  Args args(argc, argv, {"--json"});
  if (args.help()) {
    std::fputs(kDemoHelp, stdout);
    return 0;
  }
  apply_threads(args);
  std::string dir = args.str("--weights-dir", "weights");
  long long count = args.integer("--count", 300, 1, 100000);
  long long rows = args.integer("--rows", 6, 1, 64);
  std::string out = args.str("--out", "out");
  bool json = args.has("--json");
  args.finish();

  struct Entry {
    const char* label;
    std::string path;
    std::unique_ptr<ULRNet> net;
    EvalResult result;
  };
  std::vector<Entry> entries;
  for (const char* name : {"joint", "fjl1", "mmt1"}) {
    std::string path = dir + "/ulrnet-" + name + "-16x16.safetensors";
    if (!file_exists(path)) {
      if (std::string(name) == "joint") throw Error(path + ": shipped weights are missing");
      std::fprintf(stderr, "note: %s is missing; skipping that baseline\n", path.c_str());
      continue;
    }
    entries.push_back({name, path, ULRNet::load(path), EvalResult{}});
  }
  const ModelConfig& mc = entries[0].net->config();
  std::fprintf(stderr, "rendering %lld unseen test views at %dx%d...\n", count, mc.out_h(), mc.out_w());
  ViewSet views = load_view_set("synthetic", 1, "test", count, mc.out_h(), mc.out_w());
  SensorOptions sensor;
  sensor.out_h = mc.in_h, sensor.out_w = mc.in_w;
  for (Entry& e : entries) e.result = evaluate_model(*e.net, views, sensor);

  // The mosaic: the first rows views through ours.
  rows = std::min<long long>(rows, count);
  Tensor hr = slice(views.hr, 0, 0, rows);
  Tensor ulr = sensor_capture(hr, sensor);
  ULRNetOutput pred;
  {
    NoGrad no_grad;
    pred = entries[0].net->forward(ulr);
  }
  Labels classes = argmax_classes(pred.logits);
  const int H = mc.out_h(), W = mc.out_w();
  std::vector<std::vector<Image>> grid;
  for (int64_t i = 0; i < rows; ++i) {
    const uint8_t* p = classes.data.data() + i * H * W;
    const uint8_t* g = views.labels.data.data() + i * H * W;
    grid.push_back({chw_image(hr, i), chw_image(ulr, i), chw_image(clamp(pred.sr, 0, 1), i),
                    colorize_labels(p, W, H), colorize_labels(g, W, H)});
  }
  make_dirs(out);
  const std::string mosaic_path = out + "/demo_mosaic.png";
  write_png(mosaic_path, mosaic(grid, 128));

  if (json) {
    Json j = Json::object();
    j.set("views", int64_t(count)).set("mosaic", mosaic_path);
    Json models = Json::object();
    for (Entry& e : entries) models.set(e.label, e.result.to_json());
    j.set("models", models);
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%lld unseen synthetic test views, %dx%d input -> %dx%d segmentation\n", count, mc.in_h,
              mc.in_w, H, W);
  std::printf("  %-7s %8s %10s %9s %9s\n", "model", "mIoU", "pixel acc", "SR PSNR", "frames/s");
  for (Entry& e : entries)
    std::printf("  %-7s %8.4f %10.4f %9.2f %9.1f\n", e.label, e.result.cm.miou(), e.result.cm.pixel_accuracy(),
                e.result.psnr, double(e.result.frames) / std::max(e.result.seconds, 1e-9));
  std::printf("mosaic (HR reference | %dx%d input | SR | prediction | ground truth): %s\n", mc.in_h, mc.in_w,
              mosaic_path.c_str());
  return 0;
}

}  // namespace ulr::cli
