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
#include "nav/agents.h"
#include "nav/picture.h"
#include "ops/ops.h"
#include "privacy/sweep.h"

namespace ulr::cli {

namespace {

const char* kDemoHelp =
    "usage: ulrseg demo [--weights-dir DIR] [--count N] [--out DIR] [--rows N] [--json] [--threads N]\n\n"
    "Renders N unseen synthetic test views (default 300), runs the shipped models on their 16x16\n"
    "frames (DIR/ulrnet-{joint,fjl1,mmt1}-16x16.safetensors, default weights/), prints mIoU and\n"
    "pixel accuracy of each, and writes OUT/demo_mosaic.png (default out/): per row the HR view\n"
    "(for reference only), the 16x16 input, SR, prediction and ground truth. Then ours navigates\n"
    "4 test episodes (ulrseg nav) and OUT/demo_nav.png shows the first one's map; then a quick\n"
    "identity attack on 16x16 person crops prints its accuracy near and far against chance.\n";

struct DemoOptions {
  std::string weights_dir, out;
  int64_t count = 0, rows = 0;
  bool json = false;
};

struct DemoModel {
  const char* label;  // the method: "joint" (ours), "fjl1", "mmt1"
  std::unique_ptr<ULRNet> net;
  EvalResult result;
};

// Ours navigating a few test episodes (`ulrseg nav` runs the benchmark), and one episode's map.
struct DemoNav {
  nav::Summary summary;
  std::string map;
};

struct DemoReport {
  DemoNav nav;
  int64_t views = 0;
  int in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  std::vector<DemoModel> models;  // ours first
  std::string mosaic;             // the PNG written
  PrivacyHeadline privacy;        // who is in view, from 16x16 crops near and far
};

DemoOptions read_demo_options(Args& args) {
  DemoOptions o;
  apply_threads(args);
  o.weights_dir = args.str("--weights-dir", "weights");
  o.count = args.integer("--count", 300, 1, 100000);
  o.rows = args.integer("--rows", 6, 1, 64);
  o.out = args.str("--out", "out");
  o.json = args.has("--json");
  args.finish();
  return o;
}

// The shipped models of DIR: ours is required, a missing baseline is skipped with a note.
std::vector<DemoModel> load_shipped_models(const std::string& dir) {
  struct Shipped {
    const char* method;
    bool required;
  };
  std::vector<DemoModel> models;
  for (Shipped m : {Shipped{"joint", true}, Shipped{"fjl1", false}, Shipped{"mmt1", false}}) {
    const std::string path = dir + "/ulrnet-" + m.method + "-16x16.safetensors";
    if (!file_exists(path)) {
      if (m.required) throw Error(path + ": shipped weights are missing");
      std::fprintf(stderr, "note: %s is missing; skipping that baseline\n", path.c_str());
      continue;
    }
    models.push_back({m.method, ULRNet::load(path), EvalResult{}});
  }
  return models;
}

Image chw_image(const Tensor& t, int64_t index) {
  Tensor one = slice(t, 0, index, index + 1);
  return tensor_to_image(reshape(one, {3, t.size(2), t.size(3)}));
}

// The first `rows` views through `net`, one row each: HR | ULR input | SR | prediction | truth.
void write_mosaic(const std::string& path, const ULRNet& net, const ViewSet& views,
                  const SensorOptions& sensor, int64_t rows) {
  Tensor hr = slice(views.hr, 0, 0, rows);
  Tensor ulr = sensor_capture(hr, sensor);
  ULRNetOutput pred;
  {
    NoGrad no_grad;
    pred = net.forward(ulr);
  }
  Labels classes = argmax_classes(pred.logits);
  const int H = int(hr.size(2)), W = int(hr.size(3));
  std::vector<std::vector<Image>> grid;
  for (int64_t i = 0; i < rows; ++i) {
    const uint8_t* p = classes.data.data() + i * H * W;
    const uint8_t* g = views.labels.data.data() + i * H * W;
    grid.push_back({chw_image(hr, i), chw_image(ulr, i), chw_image(clamp(pred.sr, 0, 1), i),
                    colorize_labels(p, W, H), colorize_labels(g, W, H)});
  }
  write_png(path, mosaic(grid, 128));
}

DemoNav run_demo_nav(const ULRNet& ours, const std::string& out) {
  nav::RunOptions run;
  nav::ApartmentCache cache(run.nav);
  nav::EpisodeSpec spec;
  spec.count = 4;
  const std::vector<nav::NavTask> tasks = nav::make_tasks(nav::generate_episodes(spec, cache), cache, "demo");
  const nav::AgentRun ran = nav::run_agent({"joint", nav::AgentKind::Model, &ours}, tasks, run);
  const nav::AgentRun shortest = nav::run_agent({"shortest", nav::AgentKind::Shortest, nullptr}, tasks, run);
  DemoNav d;
  d.summary = nav::summarize(ran.results);
  d.map = out + "/demo_nav.png";  // ours red, the shortest path blue
  write_png(d.map, nav::draw_episode_map(tasks[0], {{&shortest.trajectories[0], {30, 90, 230}},
                                                     {&ran.trajectories[0], {220, 30, 30}}}));
  return d;
}

DemoReport run_demo(const DemoOptions& o) {
  DemoReport r;
  r.models = load_shipped_models(o.weights_dir);
  const ModelConfig& mc = r.models[0].net->config();
  r.views = o.count, r.in_h = mc.in_h, r.in_w = mc.in_w, r.out_h = mc.out_h(), r.out_w = mc.out_w();
  std::fprintf(stderr, "rendering %lld unseen test views at %dx%d...\n", (long long)o.count, r.out_h,
               r.out_w);
  ViewSet views = load_view_set("synthetic", 1, "test", o.count, r.out_h, r.out_w);
  SensorOptions sensor;
  sensor.out_h = mc.in_h, sensor.out_w = mc.in_w;
  for (DemoModel& m : r.models) m.result = evaluate_model(*m.net, views, sensor);
  make_dirs(o.out);
  r.mosaic = o.out + "/demo_mosaic.png";
  write_mosaic(r.mosaic, *r.models[0].net, views, sensor, std::min(o.rows, o.count));
  std::fprintf(stderr, "navigating %d test episodes with ours...\n", 4);
  r.nav = run_demo_nav(*r.models[0].net, o.out);
  std::fprintf(stderr, "training an identity attack on 16x16 person crops...\n");
  r.privacy = run_privacy_headline(1);
  return r;
}

void print_demo_json(const DemoReport& r) {
  Json j = Json::object();
  j.set("views", r.views).set("mosaic", r.mosaic);
  Json models = Json::object();
  for (const DemoModel& m : r.models) models.set(m.label, m.result.to_json());
  j.set("models", models);
  j.set("nav", nav::summary_to_json(r.nav.summary).set("map", r.nav.map));
  Json privacy = Json::object();
  privacy.set("near", r.privacy.near.to_json()).set("far", r.privacy.far.to_json()).set("chance", r.privacy.chance);
  j.set("privacy_16x16", privacy);
  std::printf("%s\n", j.dump(2).c_str());
}

void print_demo_text(const DemoReport& r) {
  std::printf("%lld unseen synthetic test views, %dx%d input -> %dx%d segmentation\n", (long long)r.views,
              r.in_h, r.in_w, r.out_h, r.out_w);
  std::printf("  %-7s %8s %10s %9s %9s\n", "model", "mIoU", "pixel acc", "SR PSNR", "frames/s");
  for (const DemoModel& m : r.models)
    std::printf("  %-7s %8.4f %10.4f %9.2f %9.1f\n", m.label, m.result.cm.miou(),
                m.result.cm.pixel_accuracy(), m.result.psnr, m.result.frames_per_second());
  std::printf("mosaic (HR reference | %dx%d input | SR | prediction | ground truth): %s\n", r.in_h, r.in_w,
              r.mosaic.c_str());
  const nav::Summary& n = r.nav.summary;
  std::printf("navigation, ours on %d test episodes (ulrseg nav for the benchmark): success %.2f (paper), %.2f "
              "(Habitat), SPL %.2f; map (ours red, shortest path blue): %s\n",
              n.episodes, n.success.mean, n.success_habitat.mean, n.spl.mean, r.nav.map.c_str());
  const PrivacyHeadline& p = r.privacy;
  std::printf("privacy: an attacker who knows where the person is names which of 24 people it is from the\n"
              "  16x16 frame %.0f %% of the time at 1-2 m (95 %% CI %.0f-%.0f), %.0f %% at 5-6 m (%.0f-%.0f);\n"
              "  chance %.1f %% (quick attack; ulrseg privacy measures it fully)\n",
              100 * p.near.rate(), 100 * p.near.lo(), 100 * p.near.hi(), 100 * p.far.rate(), 100 * p.far.lo(),
              100 * p.far.hi(), 100 * p.chance);
}

}  // namespace

int cmd_demo(int argc, char** argv) {
  Args args(argc, argv, {"--json"});
  if (args.help()) {
    std::fputs(kDemoHelp, stdout);
    return 0;
  }
  const DemoOptions options = read_demo_options(args);
  const DemoReport report = run_demo(options);
  if (options.json) print_demo_json(report);
  else print_demo_text(report);
  return 0;
}

}  // namespace ulr::cli
