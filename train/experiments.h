// Seeds of one experiment: runs whose training configurations are the same except for the seed
// are one group, summarised by the mean, sample standard deviation and range of their metrics.
// `ulrseg eval` prints these groups when it compares several weights files, so that a
// methods x seeds comparison (the paper's table, several seeds) is one command.
#pragma once
#include <string>
#include <vector>

#include "engine/json.h"

namespace ulr {

struct RunScore {
  std::string name;          // the weights file
  std::string train_config;  // its "train_config" metadata (JSON); empty when it has none
  double miou = 0, pixel_acc = 0, psnr = 0;
};

struct Spread {
  double mean = 0, sd = 0, min = 0, max = 0;  // sd: sample standard deviation (0 for one run)
};
Spread spread(const std::vector<double>& values);

struct SeedGroup {
  std::string label;              // the method, plus the keys that tell it from its method's other groups
  std::vector<size_t> runs;       // indices into the scores, in the order given
  std::vector<int64_t> seeds;     // their seeds (-1 where unknown)
  Spread miou, pixel_acc, psnr;
  Json to_json() const;
};

// Groups the runs by training configuration without the seed (configs canonicalised through
// TrainConfig, so files written before a key existed group with those holding its default); a
// run without a training configuration is a group of its own. Groups keep first-seen order.
std::vector<SeedGroup> group_by_seed(const std::vector<RunScore>& scores);

// Markdown: | method | runs (seeds) | mIoU mean ± sd | min–max | pixel acc | PSNR |.
std::string seed_groups_markdown(const std::vector<SeedGroup>& groups);

}  // namespace ulr
