// `ulrseg data gen`: renders synthetic views into the folder dataset format (data/folder.h),
// so that synthetic and real data go through the same loader.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "apps/args.h"
#include "apps/commands.h"
#include "data/classes.h"
#include "data/folder.h"
#include "data/loader.h"
#include "engine/error.h"
#include "engine/json.h"
#include "train/progress.h"

namespace ulr::cli {

namespace {

const char* kUsage =
    "usage: ulrseg data gen --out DIR [--split train|val|test] [--count N] [--size HxW]\n"
    "                       [--seed K] [--threads N] [--json]\n\n"
    "Renders N synthetic apartment views of split S at HxW into the folder dataset DIR\n"
    "(DIR/images/S_000000.png, DIR/labels/S_000000.png, ..., DIR/dataset.json). An existing\n"
    "DIR keeps its other splits; dataset.json is rewritten last, atomically.\n\n"
    "  --out DIR      output folder (created if needed)\n"
    "  --split S      train, val or test (default train)\n"
    "  --count N      number of views (default 64)\n"
    "  --size HxW     view size in pixels (default 64x64)\n"
    "  --seed K       dataset seed (default 0); sample i of a split and seed is always the same\n"
    "  --threads N    worker threads (default: all cores)\n"
    "  --json         print a JSON summary instead of a line of text\n";

}  // namespace

int cmd_data_gen(int argc, char** argv) {
  Args args(argc, argv, {"--json"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const std::string out = args.required("--out");
  const Split split = read_split(args, "train");
  const std::string split_text = split_name(split);
  const int64_t count = args.integer("--count", 64, 1, 10000000);
  const Size size = args.size("--size", "64x64");
  const int height = size.height, width = size.width;
  const uint64_t seed = uint64_t(args.integer("--seed", 0, 0, INT64_MAX));
  const bool json = args.has("--json");
  apply_threads(args);
  if (!args.positional().empty())
    throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  args.finish();

  std::vector<std::string> classes;
  for (int id = 0; id < kNumClasses; ++id) classes.push_back(class_name(id));
  FolderWriter writer(out, classes, kIgnoreLabel);
  const SyntheticDataset source(seed, split, count, height, width);
  // A bar on a terminal, otherwise a line about every tenth of the views.
  Progress progress("data gen " + split_text, count, std::max<int64_t>(1, count / 10));
  write_split(writer, source, split_text, count, [&](int64_t done) { progress.update(done); });
  progress.finish();

  if (json) {
    Json j = Json::object();
    j.set("out", out).set("split", split_text).set("count", count);
    j.set("height", height).set("width", width).set("seed", int64_t(seed));
    j.set("seconds", progress.elapsed_seconds());
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("wrote %lld %s views (%dx%d, seed %llu) to %s in %.1fs\n", (long long)count,
                split_text.c_str(), height, width, (unsigned long long)seed, out.c_str(),
                progress.elapsed_seconds());
  }
  return 0;
}

}  // namespace ulr::cli
