// An experiment plan: the runs of one comparison, as rows of method x input size x seed x
// overrides, read from JSON (configs/paper.json is the paper's table; docs/FORMATS.md has the
// layout). Resolving a plan turns each row into its runs, each with the full training
// configuration it trains, checked before anything is trained.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/json.h"
#include "train/config.h"

namespace ulr {

// One row of the plan: a method (its base config plus overrides) at some input sizes and seeds.
struct PlanRow {
  std::string name;              // run id prefix: lower case, digits and '-' ("ours-nosad")
  std::string label;             // as the table prints it ("ours without SAD"); default: name
  std::string section = "main";  // the table it belongs to: main, ablation, schedule, extractor
  std::string config;            // the base training config (a path)
  Json set = Json::object();     // overrides {key: value}, as --set key=value (model.KEY too)
  std::vector<int> sizes;        // square ULR input sizes; empty for method hr
  std::vector<int64_t> seeds;                       // at every size, unless
  std::map<int, std::vector<int64_t>> seeds_by_size;  // listed per size ("seeds": {"16": [1, 2]})
  const std::vector<int64_t>& seeds_for(int size) const;
  std::map<int, double> paper;   // the paper's mIoU at an input size, where it reports one
  // Runs already trained elsewhere, evaluated instead of trained: run suffix ("16x16-s1") ->
  // weights file. The file's training configuration must be the run's.
  std::map<std::string, std::string> weights;
};

// One run of a row: what is trained and where.
struct PlannedRun {
  std::string id;      // "<name>-<H>x<W>-s<seed>": its folder under OUT/runs/
  size_t row = 0;      // index into Plan::rows
  int size = 0;        // ULR input size (0 for method hr)
  int64_t seed = 0;
  TrainConfig config;  // resolved: base config, overrides, size, seed
  std::string reuse;   // an existing weights file to evaluate instead of training, or ""
};

struct Plan {
  std::string path;             // where it was read from (messages)
  std::string title;
  int hr_size = 64;             // HR size of every run: scale = hr_size / input size
  int test_views = 1000;        // views of the test split every run is evaluated on
  // Pairs of rows compared view by view at an input size: {a, b, size} (a - b), over the
  // seeds both rows list there, or only over `seeds` (a same-seed comparison of two rows).
  struct Pair {
    std::string a, b;
    int size = 0;
    std::vector<int64_t> seeds;  // empty: every seed of each row
  };
  std::vector<Pair> paired;
  std::vector<PlanRow> rows;
  // Run ids to train first, as patterns ('*' matches any text): runs matching the first pattern,
  // then the second, ..., then the rest, each group in plan order. The table keeps plan order.
  std::vector<std::string> priority;
  // Where run `id` comes in the training order: the index of the first pattern it matches, or
  // the number of patterns.
  size_t priority_of(const std::string& id) const;

  // Reads and checks a plan: unknown keys, bad values, duplicate names, a config that does not
  // read, an override or size the config refuses — each an Error naming the file, the row and
  // the key. Config paths are as written (relative to the working directory).
  static Plan read(const std::string& path);
  static Plan from_json(const Json& j, const std::string& path);
  // Every run of every row, in row order, then size, then seed. Throws Error naming the row
  // and run when its configuration is not valid.
  std::vector<PlannedRun> runs() const;
  const PlanRow* find_row(const std::string& name) const;
};

// Whether `text` matches `pattern`, in which '*' stands for any text (also none).
bool matches_pattern(const std::string& pattern, const std::string& text);

// "16x16-s2": the run id without the row name.
std::string run_suffix(int height, int width, int64_t seed);

}  // namespace ulr
