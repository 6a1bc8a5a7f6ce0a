#include "train/experiment_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "engine/fileio.h"
#include "engine/svg.h"
#include "eval/plot.h"
#include "eval/statistics.h"

namespace ulr {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double metric(const RunEval& e, const char* key) {
  if (!e.done()) return kNaN;
  const Json& v = e.metrics.get(key);
  return v.is_number() ? v.as_number() : kNaN;
}

bool evaluated(const RunOutcome& o) {
  return (o.state == RunState::Finished || o.state == RunState::Reused) && o.val.done() && o.test.done();
}

Spread spread_of(const std::vector<double>& v) {
  std::vector<double> kept;
  for (double x : v)
    if (!std::isnan(x)) kept.push_back(x);
  if (kept.empty()) return {kNaN, kNaN, kNaN, kNaN};
  return spread(kept);
}

Json number_json(double v) { return std::isnan(v) ? Json() : Json(v); }

Json spread_json(const Spread& s) {
  Json j = Json::object();
  j.set("mean", number_json(s.mean)).set("sd", number_json(s.sd)).set("min", number_json(s.min));
  j.set("max", number_json(s.max));
  return j;
}

std::string fmt(const char* f, double v) {
  if (std::isnan(v)) return "–";
  char buf[48];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string size_text(int size, int hr_size) {
  return size == 0 ? std::to_string(hr_size) + "×" + std::to_string(hr_size) + " (HR)"
                   : std::to_string(size) + "×" + std::to_string(size);
}

std::string seeds_text(const std::vector<int64_t>& seeds) {
  std::string s;
  for (int64_t x : seeds) s += (s.empty() ? "" : ", ") + std::to_string(x);
  return s.empty() ? "–" : s;
}

// "0.366 ± 0.008" (one run: "0.366").
std::string mean_sd(const Spread& s, size_t n, const char* f = "%.3f") {
  if (std::isnan(s.mean)) return "–";
  return n > 1 ? fmt(f, s.mean) + " ± " + fmt(f, s.sd) : fmt(f, s.mean);
}

std::string range_text(const Spread& s, size_t n) {
  if (std::isnan(s.mean) || n < 2) return "–";
  return fmt("%.3f", s.min) + "–" + fmt("%.3f", s.max);
}

const GroupSummary* find_group(const std::vector<GroupSummary>& groups, size_t row, int size) {
  for (const GroupSummary& g : groups)
    if (g.row == row && g.size == size) return &g;
  return nullptr;
}

// A group's evaluated runs of the given seeds (all when `seeds` is empty), their seeds in `got`.
std::vector<size_t> runs_of_seeds(const ExperimentResult& result, const GroupSummary& g,
                                  const std::vector<int64_t>& seeds, std::vector<int64_t>& got) {
  std::vector<size_t> runs;
  for (size_t i : g.runs) {
    const int64_t seed = result.runs[i].run.seed;
    if (seeds.empty() || std::find(seeds.begin(), seeds.end(), seed) != seeds.end())
      runs.push_back(i), got.push_back(seed);
  }
  return runs;
}

// Per view, the mean over a group's evaluated runs of their per-view mIoU on `split`.
std::vector<double> mean_view_miou(const ExperimentResult& result, const std::vector<size_t>& runs, bool test) {
  std::vector<double> sum;
  std::vector<int> count;
  for (size_t i : runs) {
    const std::vector<double>& v = (test ? result.runs[i].test : result.runs[i].val).view_miou;
    if (sum.empty()) sum.assign(v.size(), 0.0), count.assign(v.size(), 0);
    for (size_t k = 0; k < v.size() && k < sum.size(); ++k)
      if (!std::isnan(v[k])) sum[k] += v[k], ++count[k];
  }
  for (size_t k = 0; k < sum.size(); ++k) sum[k] = count[k] ? sum[k] / count[k] : kNaN;
  return sum;
}

// The input size most runs use (the main table's).
int main_size(const Plan& plan) {
  std::map<int, size_t> n;
  for (const PlanRow& r : plan.rows)
    for (int s : r.sizes) ++n[s];
  int best = 16;
  size_t most = 0;
  for (const auto& [s, c] : n)
    if (c > most) best = s, most = c;
  return best;
}

}  // namespace

std::vector<GroupSummary> summarise(const Plan& plan, const ExperimentResult& result) {
  std::vector<GroupSummary> groups;
  for (size_t i = 0; i < result.runs.size(); ++i) {
    const RunOutcome& o = result.runs[i];
    GroupSummary* g = nullptr;
    for (GroupSummary& h : groups)
      if (h.row == o.run.row && h.size == o.run.size) g = &h;
    if (!g) {
      groups.push_back(GroupSummary{});
      g = &groups.back();
      g->row = o.run.row, g->size = o.run.size;
    }
    ++g->planned;
    if (!std::isnan(o.train_seconds)) g->train_hours += o.train_seconds / 3600.0;
    if (evaluated(o)) g->runs.push_back(i), g->seeds.push_back(o.run.seed);
  }
  for (GroupSummary& g : groups) {
    std::vector<double> val, miou, pa, ca, fw, psnr, ssim;
    for (size_t i : g.runs) {
      const RunOutcome& o = result.runs[i];
      val.push_back(o.best_val_miou);
      miou.push_back(metric(o.test, "miou")), pa.push_back(metric(o.test, "pixel_acc"));
      ca.push_back(metric(o.test, "class_acc")), fw.push_back(metric(o.test, "fwiou"));
      const bool sees_hr = o.run.config.method == Method::Hr;  // no image of its own to score
      psnr.push_back(sees_hr ? kNaN : metric(o.test, "psnr")), ssim.push_back(sees_hr ? kNaN : metric(o.test, "ssim"));
    }
    g.val_miou = spread_of(val), g.miou = spread_of(miou), g.pixel_acc = spread_of(pa);
    g.class_acc = spread_of(ca), g.fwiou = spread_of(fw), g.psnr = spread_of(psnr), g.ssim = spread_of(ssim);
  }
  (void)plan;
  return groups;
}

std::vector<PairedComparison> paired_comparisons(const Plan& plan, const ExperimentResult& result) {
  const std::vector<GroupSummary> groups = summarise(plan, result);
  std::vector<PairedComparison> out;
  for (const Plan::Pair& pair : plan.paired)
    for (const char* split : {"val", "test"}) {
      PairedComparison c;
      c.pair = pair, c.split = split;
      size_t ra = 0, rb = 0;
      for (size_t r = 0; r < plan.rows.size(); ++r) {
        if (plan.rows[r].name == pair.a) ra = r;
        if (plan.rows[r].name == pair.b) rb = r;
      }
      const GroupSummary* a = find_group(groups, ra, pair.size);
      const GroupSummary* b = find_group(groups, rb, pair.size);
      std::vector<size_t> runs_a, runs_b;
      if (a) runs_a = runs_of_seeds(result, *a, pair.seeds, c.seeds_a);
      if (b) runs_b = runs_of_seeds(result, *b, pair.seeds, c.seeds_b);
      if (!runs_a.empty() && !runs_b.empty()) {
        const bool test = c.split == "test";
        const std::vector<double> va = mean_view_miou(result, runs_a, test), vb = mean_view_miou(result, runs_b, test);
        std::vector<double> diff;
        for (size_t k = 0; k < std::min(va.size(), vb.size()); ++k) diff.push_back(va[k] - vb[k]);
        const BootstrapInterval ci = bootstrap_mean(diff, 10000, 1);
        c.views = ci.count, c.mean = ci.mean, c.lo = ci.lo, c.hi = ci.hi;
        const size_t want_a = pair.seeds.empty() ? a->planned : pair.seeds.size();
        const size_t want_b = pair.seeds.empty() ? b->planned : pair.seeds.size();
        c.done = runs_a.size() == want_a && runs_b.size() == want_b;
      }
      out.push_back(c);
    }
  return out;
}

Json experiment_json(const Plan& plan, const ExperimentResult& result) {
  Json j = Json::object();
  j.set("title", plan.title).set("plan", plan.path).set("hr_size", plan.hr_size).set("test_views", plan.test_views);
  j.set("complete", result.complete());
  Json runs = Json::array();
  double hours = 0;
  for (const RunOutcome& o : result.runs) {
    Json r = Json::object();
    r.set("id", o.run.id).set("row", plan.rows[o.run.row].name).set("size", o.run.size).set("seed", o.run.seed);
    r.set("method", method_name(o.run.config.method)).set("state", run_state_name(o.state));
    r.set("step", o.step).set("total", o.total).set("best_val_miou", number_json(o.best_val_miou));
    r.set("train_seconds", number_json(o.train_seconds)).set("weights", o.weights);
    if (!o.error.empty()) r.set("error", o.error);
    if (o.val.done()) r.set("val", o.val.metrics);
    if (o.test.done()) r.set("test", o.test.metrics);
    if (!std::isnan(o.train_seconds)) hours += o.train_seconds / 3600.0;
    runs.push(r);
  }
  j.set("runs", runs);
  Json groups = Json::array();
  for (const GroupSummary& g : summarise(plan, result)) {
    const PlanRow& row = plan.rows[g.row];
    Json x = Json::object(), seeds = Json::array();
    for (int64_t s : g.seeds) seeds.push(Json(s));
    x.set("row", row.name).set("label", row.label).set("section", row.section).set("size", g.size);
    x.set("runs", int64_t(g.runs.size())).set("planned", int64_t(g.planned)).set("seeds", seeds);
    x.set("val_miou", spread_json(g.val_miou)).set("miou", spread_json(g.miou));
    x.set("pixel_acc", spread_json(g.pixel_acc)).set("class_acc", spread_json(g.class_acc));
    x.set("fwiou", spread_json(g.fwiou)).set("psnr", spread_json(g.psnr)).set("ssim", spread_json(g.ssim));
    auto paper = row.paper.find(g.size == 0 ? main_size(plan) : g.size);
    x.set("paper_miou", paper == row.paper.end() ? Json() : Json(paper->second));
    x.set("train_hours", g.train_hours);
    groups.push(x);
  }
  j.set("groups", groups);
  Json paired = Json::array();
  for (const PairedComparison& c : paired_comparisons(plan, result)) {
    Json x = Json::object();
    x.set("a", c.pair.a).set("b", c.pair.b).set("size", c.pair.size).set("split", c.split).set("done", c.done);
    if (c.views > 0) {
      Json ci = Json::array();
      ci.push(c.lo).push(c.hi);
      x.set("views", c.views).set("mean_view_miou_difference", c.mean).set("ci95", ci);
    }
    paired.push(x);
  }
  j.set("paired", paired);
  j.set("train_hours", hours);
  return j;
}

std::string experiment_markdown(const Plan& plan, const ExperimentResult& result) {
  const std::vector<GroupSummary> groups = summarise(plan, result);
  std::string md = "# " + plan.title + "\n\n";
  size_t done = 0;
  for (const RunOutcome& o : result.runs) done += evaluated(o);
  md += std::to_string(done) + " of " + std::to_string(result.runs.size()) +
        " runs trained and evaluated. Test split: " + std::to_string(plan.test_views) +
        " views; figures are mean ± sd over the seeds listed (range beside), val mIoU is the trainer's best "
        "validation mIoU (the checkpoint each run keeps).\n";
  const char* sections[][2] = {{"main", "Methods"},
                               {"ablation", "Ablations"},
                               {"schedule", "Schedule length"},
                               {"extractor", "A stronger feature extractor"}};
  for (const auto& section : sections) {
    std::string rows;
    for (const GroupSummary& g : groups) {
      const PlanRow& row = plan.rows[g.row];
      if (row.section != section[0]) continue;
      auto paper = row.paper.find(g.size == 0 ? main_size(plan) : g.size);
      const size_t n = g.runs.size();
      rows += "| " + row.label + " | " + size_text(g.size, plan.hr_size) + " | " + std::to_string(n) + "/" +
              std::to_string(g.planned) + " (" + seeds_text(g.seeds) + ") | " + mean_sd(g.miou, n) + " | " +
              range_text(g.miou, n) + " | " + mean_sd(g.pixel_acc, n) + " | " + mean_sd(g.class_acc, n) + " | " +
              mean_sd(g.fwiou, n) + " | " + mean_sd(g.psnr, n, "%.2f") + " | " + mean_sd(g.ssim, n) + " | " +
              mean_sd(g.val_miou, n) + " | " + (paper == row.paper.end() ? "–" : fmt("%.3f", paper->second)) + " |\n";
    }
    if (rows.empty()) continue;
    md += std::string("\n## ") + section[1] + "\n\n";
    md += "| method | input | runs (seeds) | mIoU | mIoU range | PA | class acc | FWIoU | PSNR (dB) | SSIM | val mIoU | "
          "paper mIoU |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n" + rows;
  }
  // mIoU against input size, for rows trained at more than one size.
  std::set<int> sizes;
  std::vector<size_t> multi;
  for (size_t r = 0; r < plan.rows.size(); ++r)
    if (plan.rows[r].sizes.size() > 1) {
      multi.push_back(r);
      for (int s : plan.rows[r].sizes) sizes.insert(s);
    }
  if (!multi.empty()) {
    md += "\n## mIoU against input size (test)\n\n| method |";
    std::string rule = "|---|";
    for (int s : sizes) md += " " + size_text(s, plan.hr_size) + " |", rule += "---|";
    md += "\n" + rule + "\n";
    for (size_t r : multi) {
      md += "| " + plan.rows[r].label + " |";
      for (int s : sizes) {
        const GroupSummary* g = find_group(groups, r, s);
        auto paper = plan.rows[r].paper.find(s);
        md += " " + (g ? mean_sd(g->miou, g->runs.size()) : std::string("–")) +
              (paper == plan.rows[r].paper.end() ? "" : " (paper " + fmt("%.3f", paper->second) + ")") + " |";
      }
      md += "\n";
    }
  }
  const std::vector<PairedComparison> paired = paired_comparisons(plan, result);
  if (!paired.empty()) {
    md += "\n## Paired comparisons\n\nPer view, the mIoU of the view's own confusion matrix, averaged over each row's "
          "seeds; the difference a − b averaged over views, with a percentile bootstrap 95 % interval "
          "(10000 resamples of the views).\n\n| a − b | input | split | views | seeds a / b | mean difference | 95 % "
          "interval |\n|---|---|---|---|---|---|---|\n";
    for (const PairedComparison& c : paired) {
      const PlanRow* a = plan.find_row(c.pair.a);
      const PlanRow* b = plan.find_row(c.pair.b);
      md += "| " + a->label + " − " + b->label + " | " + size_text(c.pair.size, plan.hr_size) + " | " + c.split + " | " +
            (c.views ? std::to_string(c.views) : "–") + " | " + seeds_text(c.seeds_a) + " / " + seeds_text(c.seeds_b) +
            (c.done || !c.views ? "" : " (partial)") + " | " + (c.views ? fmt("%+.4f", c.mean) : "–") + " | " +
            (c.views ? "[" + fmt("%+.4f", c.lo) + ", " + fmt("%+.4f", c.hi) + "]" : "–") + " |\n";
    }
  }
  double hours = 0;
  for (const GroupSummary& g : groups) hours += g.train_hours;
  md += "\nTraining time of the runs' steps (from their logged rates, validation excluded): " + fmt("%.1f", hours) +
        " h.\n";
  // Runs not finished, so that a partial table says what it lacks.
  std::string pending;
  for (const RunOutcome& o : result.runs)
    if (!evaluated(o))
      pending += "- " + o.run.id + ": " + run_state_name(o.state) + " (" + std::to_string(o.step) + "/" +
                 std::to_string(o.total) + " steps)" + (o.error.empty() ? "" : ", failed: " + o.error) + "\n";
  if (!pending.empty()) md += "\nNot yet in the figures:\n\n" + pending;
  return md;
}

std::string miou_by_method_svg(const Plan& plan, const ExperimentResult& result) {
  const std::vector<GroupSummary> groups = summarise(plan, result);
  const int size = main_size(plan);
  std::vector<const GroupSummary*> shown;
  for (const GroupSummary& g : groups)
    if ((g.size == size || g.size == 0) && (plan.rows[g.row].section == "main" || plan.rows[g.row].section == "ablation"))
      shown.push_back(&g);
  const double left = 60, top = 40, plot_h = 260, bar_w = 46, gap = 18;
  const double width = left + 20 + double(shown.size()) * (bar_w + gap), height = top + plot_h + 120;
  double top_value = 0.1;
  for (const GroupSummary* g : shown) {
    for (size_t i : g->runs) top_value = std::max(top_value, metric(result.runs[i].test, "miou"));
    for (const auto& [s, v] : plan.rows[g->row].paper) top_value = std::max(top_value, v);
  }
  top_value = std::ceil(top_value * 10 + 0.5) / 10;
  auto y_of = [&](double v) { return top + plot_h * (1 - v / top_value); };
  Svg svg(width, height);
  svg.text(left, 22, "test mIoU at " + size_text(size, plan.hr_size) + " input: bars = mean, dots = seeds, ticks = paper",
           13);
  for (int k = 0; k <= int(std::lround(top_value * 10)); ++k) {
    const double v = k / 10.0;
    svg.line(left, y_of(v), width - 10, y_of(v), "#ddd");
    svg.text(left - 6, y_of(v) + 4, fmt("%.1f", v), 11, "end");
  }
  for (size_t i = 0; i < shown.size(); ++i) {
    const GroupSummary& g = *shown[i];
    const double x = left + gap / 2 + double(i) * (bar_w + gap);
    if (!std::isnan(g.miou.mean))
      svg.rect(x, y_of(g.miou.mean), bar_w, y_of(0) - y_of(g.miou.mean), series_colour(i % 10), "none");
    for (size_t r : g.runs) svg.circle(x + bar_w / 2, y_of(metric(result.runs[r].test, "miou")), 3, "#000");
    auto paper = plan.rows[g.row].paper.find(g.size == 0 ? size : g.size);
    if (paper != plan.rows[g.row].paper.end())
      svg.line(x - 4, y_of(paper->second), x + bar_w + 4, y_of(paper->second), "#000", 2, "4,2");
    svg.text(x + bar_w / 2, top + plot_h + 14, plan.rows[g.row].label, 11, "end", "#222", -40);
  }
  svg.line(left, y_of(0), width - 10, y_of(0), "#444");
  return svg.str();
}

std::string miou_by_size_svg(const Plan& plan, const ExperimentResult& result) {
  const std::vector<GroupSummary> groups = summarise(plan, result);
  Plot plot;
  plot.title = "test mIoU against input size (mean over seeds, bars: seed range)";
  plot.x.label = "input size (px)";
  plot.y.label = "test mIoU";
  plot.y.max = 0.6;
  std::set<int> sizes;
  for (size_t r = 0; r < plan.rows.size(); ++r) {
    if (plan.rows[r].sizes.size() < 2) continue;
    PlotSeries series;
    series.label = plan.rows[r].label;
    for (int size : plan.rows[r].sizes) {
      sizes.insert(size);
      const GroupSummary* g = find_group(groups, r, size);
      if (!g || std::isnan(g->miou.mean)) continue;
      series.x.push_back(size), series.y.push_back(g->miou.mean);
      series.y_lo.push_back(g->miou.min), series.y_hi.push_back(g->miou.max);
    }
    plot.series.push_back(series);
  }
  for (const GroupSummary& g : groups)  // the HR bound
    if (g.size == 0 && !std::isnan(g.miou.mean)) plot.reference_lines.push_back({g.miou.mean, plan.rows[g.row].label});
  plot.x.min = sizes.empty() ? 0 : *sizes.begin() - 4;
  plot.x.max = sizes.empty() ? 1 : *sizes.rbegin() + 4;
  for (int size : sizes) plot.x.ticks.push_back({double(size), size_text(size, plan.hr_size)});
  return plot_svg(plot);
}

void write_experiment_report(const Plan& plan, const ExperimentResult& result, const std::string& dir) {
  make_dirs(dir);
  auto put = [&](const std::string& name, const std::string& text) {
    write_file_atomic(dir + "/" + name, text.data(), text.size());
  };
  put("results.json", experiment_json(plan, result).dump(2) + "\n");
  put("results.md", experiment_markdown(plan, result));
  put("miou-methods.svg", miou_by_method_svg(plan, result));
  put("miou-sizes.svg", miou_by_size_svg(plan, result));
}

}  // namespace ulr
