// What `ulrseg experiment` writes from a plan's outcomes: results.json, a markdown table in the
// paper's layout and two SVG charts. Runs of one row at one input size are a group: its seeds as
// mean ± sd and range. A run not yet trained or evaluated is listed with its state and left out
// of its group's figures.
#pragma once
#include <string>
#include <vector>

#include "engine/json.h"
#include "train/experiments.h"
#include "train/plan.h"
#include "train/runner.h"

namespace ulr {

struct GroupSummary {
  size_t row = 0;
  int size = 0;                    // 0: method hr
  std::vector<size_t> runs;        // indices of the evaluated runs into ExperimentResult::runs
  std::vector<int64_t> seeds;      // their seeds
  size_t planned = 0;              // runs the plan lists for the group
  Spread val_miou;                 // the trainer's best validation mIoU
  Spread miou, pixel_acc, class_acc, fwiou, psnr, ssim;  // test split
  double train_hours = 0;          // the steps' time summed over its runs (where logged)
};

// Groups in row order, then size.
std::vector<GroupSummary> summarise(const Plan& plan, const ExperimentResult& result);

// One paired comparison: per view, row a's mIoU minus row b's (each averaged over its seeds), on
// one split, with a bootstrap 95 % interval of the mean over views.
struct PairedComparison {
  Plan::Pair pair;
  std::string split;
  std::vector<int64_t> seeds_a, seeds_b;
  int64_t views = 0;
  double mean = 0, lo = 0, hi = 0;
  bool done = false;  // false when a run of either row is not evaluated yet
};
std::vector<PairedComparison> paired_comparisons(const Plan& plan, const ExperimentResult& result);

Json experiment_json(const Plan& plan, const ExperimentResult& result);
std::string experiment_markdown(const Plan& plan, const ExperimentResult& result);
// mIoU per group at the plan's most common input size (bars: mean; dots: seeds; ticks: the
// paper's figure), and mIoU against input size for rows trained at several sizes.
std::string miou_by_method_svg(const Plan& plan, const ExperimentResult& result);
std::string miou_by_size_svg(const Plan& plan, const ExperimentResult& result);

// Writes results.json, results.md, miou-methods.svg and miou-sizes.svg into `dir`, atomically.
void write_experiment_report(const Plan& plan, const ExperimentResult& result, const std::string& dir);

}  // namespace ulr
