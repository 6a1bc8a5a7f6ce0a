// What `ulrseg eval` reports: the scores of each model on one view set and the groups of
// models trained alike but for the seed, printed three ways (text, markdown, JSON). The
// printers only format numbers they are given, so a test pins their bytes.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "engine/json.h"
#include "eval/evaluate.h"
#include "train/experiments.h"

namespace ulr {

struct ModelEval {
  std::string weights;       // the weights file, as given
  Method method = Method::Joint;
  ModelConfig config;        // input and output sizes, class count
  std::string train_config;  // the file's "train_config" metadata (JSON); "" when absent
  EvalResult result;
};

struct EvalReport {
  std::string data, split, sensor;  // as given: "synthetic" or a folder, "test", "area"
  int64_t data_seed = 1;
  int64_t views = 0;                // every model saw the same views
  std::vector<ModelEval> models;    // in the order given
  std::vector<SeedGroup> groups;    // seed_groups(models)
  // Some group holds more than one run: the printers add the summary over seeds.
  bool seeds_repeat() const { return groups.size() < models.size(); }
};

// group_by_seed over the models' training configurations (PSNR left out for method hr).
std::vector<SeedGroup> seed_groups(const std::vector<ModelEval>& models);

// Per model: a line naming it and the views, the four scores, PSNR/SSIM (not for hr), the
// per-class IoU; then the seed groups as markdown when seeds repeat.
void print_eval_text(const EvalReport& report, FILE* out);
// The comparison table, the per-class IoU table (a column per model) and the seed groups.
void print_eval_markdown(const EvalReport& report, FILE* out);
// One model: its object; several: {"views", "models": [...], "groups": [...]}. Indented.
void print_eval_json(const EvalReport& report, FILE* out);

}  // namespace ulr
