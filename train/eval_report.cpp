#include "train/eval_report.h"

#include <cmath>
#include <string>

#include "data/classes.h"

namespace ulr {

// A table cell: the number in `fmt`, or "–" for NaN (a class absent from the views).
static std::string cell(double v, const char* fmt = "%.3f") {
  if (std::isnan(v)) return "–";
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

static bool is_hr(const ModelEval& m) { return m.method == Method::Hr; }

std::vector<SeedGroup> seed_groups(const std::vector<ModelEval>& models) {
  std::vector<RunScore> scores;
  for (const ModelEval& m : models)
    scores.push_back({m.weights, m.train_config, m.result.cm.miou(), m.result.cm.pixel_accuracy(),
                      is_hr(m) ? std::nan("") : m.result.psnr});
  return group_by_seed(scores);
}

// ---- text ---------------------------------------------------------------------------------

static void print_model_text(const EvalReport& report, const ModelEval& m, FILE* out) {
  const EvalResult& r = m.result;
  const ModelConfig& mc = m.config;
  std::fprintf(out, "%s (%s) on %s/%s, %lld views, %dx%d -> %dx%d, %.1f frames/s\n",
               m.weights.c_str(), method_name(m.method), report.data.c_str(), report.split.c_str(),
               (long long)r.frames, mc.in_h, mc.in_w, mc.out_h(), mc.out_w(), r.frames_per_second());
  std::fprintf(out, "  mIoU %.4f   pixel acc %.4f   class acc %.4f   FWIoU %.4f\n", r.cm.miou(),
               r.cm.pixel_accuracy(), r.cm.class_accuracy(), r.cm.fwiou());
  if (!is_hr(m)) std::fprintf(out, "  SR image: PSNR %.2f dB   SSIM %.4f\n", r.psnr, r.ssim);
  const std::vector<double> iou = r.cm.iou();
  std::fprintf(out, "  per-class IoU:\n");
  for (int c = 0; c < mc.num_classes; ++c)
    std::fprintf(out, "    %2d %-10s %s\n", c, class_name(c), cell(iou[size_t(c)], "%.4f").c_str());
}

void print_eval_text(const EvalReport& report, FILE* out) {
  for (const ModelEval& m : report.models) print_model_text(report, m, out);
  if (report.seeds_repeat())
    std::fprintf(out, "over seeds:\n%s", seed_groups_markdown(report.groups).c_str());
}

// ---- markdown -----------------------------------------------------------------------------

// "16x16", or "64x64 (HR)" for a model that sees the HR image.
static std::string input_size(const ModelEval& m) {
  const ModelConfig& mc = m.config;
  if (is_hr(m)) return std::to_string(mc.out_h()) + "x" + std::to_string(mc.out_w()) + " (HR)";
  return std::to_string(mc.in_h) + "x" + std::to_string(mc.in_w);
}

static void print_scores_markdown(const EvalReport& report, FILE* out) {
  std::fprintf(out, "| weights | method | input | mIoU | pixel acc | class acc | FWIoU | PSNR (dB) | SSIM |\n"
                    "|---|---|---|---|---|---|---|---|---|\n");
  for (const ModelEval& m : report.models) {
    const ConfusionMatrix& cm = m.result.cm;
    const bool hr = is_hr(m);
    std::fprintf(out, "| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n", m.weights.c_str(),
                 method_name(m.method), input_size(m).c_str(), cell(cm.miou()).c_str(),
                 cell(cm.pixel_accuracy()).c_str(), cell(cm.class_accuracy()).c_str(),
                 cell(cm.fwiou()).c_str(), hr ? "–" : cell(m.result.psnr, "%.2f").c_str(),
                 hr ? "–" : cell(m.result.ssim).c_str());
  }
}

// A row per class (the first model's classes), a column per model.
static void print_class_iou_markdown(const EvalReport& report, FILE* out) {
  std::fprintf(out, "\nPer-class IoU:\n\n| class |");
  for (const ModelEval& m : report.models) std::fprintf(out, " %s |", method_name(m.method));
  std::fprintf(out, "\n|---|");
  for (size_t i = 0; i < report.models.size(); ++i) std::fprintf(out, "---|");
  std::fprintf(out, "\n");
  for (int c = 0; c < report.models.front().config.num_classes; ++c) {
    std::fprintf(out, "| %s |", class_name(c));
    for (const ModelEval& m : report.models)
      std::fprintf(out, " %s |", cell(m.result.cm.iou()[size_t(c)]).c_str());
    std::fprintf(out, "\n");
  }
}

void print_eval_markdown(const EvalReport& report, FILE* out) {
  std::fprintf(out, "%lld views of %s/%s (data seed %lld), sensor %s\n\n", (long long)report.views,
               report.data.c_str(), report.split.c_str(), (long long)report.data_seed,
               report.sensor.c_str());
  print_scores_markdown(report, out);
  print_class_iou_markdown(report, out);
  if (report.seeds_repeat())
    std::fprintf(out, "\nOver seeds (weights with the same training configuration but for the seed):\n\n%s",
                 seed_groups_markdown(report.groups).c_str());
}

// ---- JSON ---------------------------------------------------------------------------------

static Json model_json(const EvalReport& report, const ModelEval& m) {
  Json j = m.result.to_json();
  j.set("weights", m.weights).set("method", method_name(m.method)).set("data", report.data);
  j.set("split", report.split).set("sensor", report.sensor);
  return j;
}

void print_eval_json(const EvalReport& report, FILE* out) {
  if (report.models.size() == 1) {
    std::fprintf(out, "%s\n", model_json(report, report.models[0]).dump(2).c_str());
    return;
  }
  Json models = Json::array(), groups = Json::array();
  for (const ModelEval& m : report.models) models.push(model_json(report, m));
  for (const SeedGroup& g : report.groups) groups.push(g.to_json());
  Json j = Json::object();
  j.set("views", report.views).set("models", models).set("groups", groups);
  std::fprintf(out, "%s\n", j.dump(2).c_str());
}

}  // namespace ulr
