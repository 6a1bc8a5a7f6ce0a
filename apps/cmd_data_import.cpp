// `ulrseg data import`: a real dataset's release (SUN RGB-D, NYUv2 PNGs or .mat, or any images +
// label PNGs + class map) into the folder format at the model's HR size (data/import.h).
#include <cinttypes>
#include <cstdio>
#include <string>

#include "apps/args.h"
#include "apps/commands.h"
#include "data/import.h"
#include "engine/error.h"
#include "engine/json.h"
#include "engine/printable.h"
#include "train/progress.h"

namespace ulr::cli {

namespace {

const char* kUsage =
    "usage: ulrseg data import --format F --out DIR [source flags] [--size HxW] [--crop N]\n"
    "                          [--label-resize majority|nearest] [--unlabelled unknown|ignore]\n"
    "                          [--val N] [--skip-bad] [--max-pixels N] [--threads N] [--json]\n\n"
    "Imports a dataset release into the folder dataset DIR (docs/DATASETS.md), in ulrseg's 14\n"
    "classes and at HxW. Run it again to continue an interrupted import: finished samples are\n"
    "skipped; dataset.json is written last, atomically. Other splits of DIR are kept.\n\n"
    "formats and their source flags:\n"
    "  sunrgbd    --images SUNRGBD-train_images|SUNRGBD-test_images (img-NNNNNN.jpg)\n"
    "             --labels DIR (the 37-class release: img-000001.png .. img-010335.png, test first)\n"
    "             --split train|test (the official list the images are from)\n"
    "             37 classes -> 13 by SceneNet's mapping\n"
    "  nyuv2      --images nyu_train_rgb|nyu_test_rgb (nyu_rgb_NNNN.png)\n"
    "             --labels DIR (the 13-class release: new_nyu_class13_NNNN.png)\n"
    "             each image's split from the official split (splits.mat)\n"
    "  nyuv2-mat  --mat nyu_depth_v2_labeled.mat (needs a build with HDF5)\n"
    "             894 labels -> 40 -> 13; splits from the official split\n"
    "  folder     --images DIR (NAME.png|jpg|jpeg) --labels DIR (NAME.png, 8-bit ids)\n"
    "             --classes MAP.json (label value -> class) --split NAME\n\n"
    "  --size HxW          size written: the model's HR size (default 64x64)\n"
    "  --crop N            centre crop to N x N first (the paper: 384; needs a square size);\n"
    "                      default: the largest centred window with the aspect of --size\n"
    "  --label-resize M    majority (default: the class covering most of each pixel) or nearest\n"
    "  --unlabelled U      what label 0 (unlabelled) becomes: unknown (class 0, the default: the\n"
    "                      paper's 14-class counting) or ignore (255, skipped by loss and metrics)\n"
    "  --val N             move N evenly spaced training samples to split val\n"
    "  --skip-bad          leave a bad file out (one line each, a count at the end) instead of\n"
    "                      stopping at the first\n"
    "  --max-pixels N      the most pixels an image may have (default 16777216)\n"
    "  --threads N         worker threads (default: all cores)\n"
    "  --json              print a JSON summary instead of a line of text\n";

struct ImportCommand {
  ImportSpec spec;
  ImportOptions options;
  std::string out;
  bool json = false;
};

// Reads `flag` when the format takes it (required or not), and refuses it otherwise.
std::string source_flag(Args& args, const std::string& flag, bool takes, bool required,
                        const char* format) {
  if (!takes) {
    if (args.has(flag)) throw UsageError(flag + ": not a flag of --format " + format);
    return "";
  }
  return required ? args.required(flag) : args.str(flag, "");
}

ImportCommand read_import_options(Args& args) {
  ImportCommand c;
  apply_threads(args);
  // The flag's value through a parser that throws Error("expected ..."): UsageError("FLAG: ...").
  auto parsed = [&](const std::string& flag, auto parse, const std::string& fallback) {
    try {
      return parse(fallback.empty() ? args.required(flag) : args.str(flag, fallback));
    } catch (const UsageError&) {
      throw;
    } catch (const Error& e) {
      throw UsageError(flag + ": " + e.what());
    }
  };
  c.spec.format = parsed("--format", parse_import_format, "");
  const ImportFormat f = c.spec.format;
  const char* name = import_format_name(f);
  const bool pairs = f != ImportFormat::NyuMat;
  c.spec.images = source_flag(args, "--images", pairs, true, name);
  c.spec.labels = source_flag(args, "--labels", pairs, true, name);
  c.spec.mat = source_flag(args, "--mat", f == ImportFormat::NyuMat, true, name);
  c.spec.class_map = source_flag(args, "--classes", f == ImportFormat::Folder, true, name);
  const bool split = f == ImportFormat::SunRgbd || f == ImportFormat::Folder;
  c.spec.split = source_flag(args, "--split", split, true, name);
  if (f == ImportFormat::SunRgbd && c.spec.split != "train" && c.spec.split != "test")
    throw UsageError("--split: expected train or test (the official list the images are from), got '" +
                     c.spec.split + "'");
  if (f == ImportFormat::Folder && args.has("--unlabelled"))
    throw UsageError("--unlabelled: not a flag of --format folder (the class map says what each value becomes)");
  c.spec.unlabelled = parsed("--unlabelled", parse_unlabelled, "unknown");
  c.options.label_resize = parsed("--label-resize", parse_label_resize, "majority");
  c.out = args.required("--out");
  const Size size = args.size("--size", "64x64");
  c.options.height = size.height, c.options.width = size.width;
  c.options.crop = int(args.integer("--crop", 0, 0, 65536));
  if (c.options.crop > 0 && size.height != size.width)
    throw UsageError("--crop: a square crop needs a square --size, got " + std::to_string(size.height) +
                     "x" + std::to_string(size.width));
  c.options.val = int(args.integer("--val", 0, 0, 1000000));
  c.options.skip_bad = args.has("--skip-bad");
  c.options.max_pixels = args.integer("--max-pixels", kDefaultMaxPixels, 1, kMaxPixelsCeiling);
  c.json = args.has("--json");
  if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  args.finish();
  return c;
}

void print_report(const ImportCommand& c, const ImportReport& r, double seconds) {
  if (c.json) {
    Json splits = Json::object();
    for (auto& [name, n] : r.splits) splits.set(name, n);
    Json bad = Json::array();
    for (const std::string& line : r.bad) bad.push(printable(line));
    Json j = Json::object();
    j.set("out", c.out).set("format", import_format_name(c.spec.format)).set("items", r.items);
    j.set("written", r.written).set("resumed", r.resumed).set("bad", bad).set("splits", splits);
    j.set("seconds", seconds);
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::string splits;
  for (auto& [name, n] : r.splits) splits += (splits.empty() ? "" : ", ") + name + " " + std::to_string(n);
  std::printf("imported %" PRId64 " %s samples into %s (%s) in %.1fs: %" PRId64 " written, %" PRId64
              " already there, %zu bad file%s skipped\n",
              r.written + r.resumed, import_format_name(c.spec.format), c.out.c_str(), splits.c_str(),
              seconds, r.written, r.resumed, r.bad.size(), r.bad.size() == 1 ? "" : "s");
}

}  // namespace

int cmd_data_import(int argc, char** argv) {
  Args args(argc, argv, {"--skip-bad", "--json"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const ImportCommand c = read_import_options(args);
  const std::unique_ptr<ImportSource> source = open_import_source(c.spec);
  const int64_t total = int64_t(source->items().size());
  Progress progress(std::string("data import ") + import_format_name(c.spec.format), total,
                    std::max<int64_t>(1, total / 10));
  const ImportReport report = import_dataset(
      *source, c.out, c.options, [&](int64_t done, int64_t) { progress.update(done); },
      [&](const std::string& line) {
        std::fprintf(stderr, "%sskipped %s\n", Progress::terminal() ? "\r\033[K" : "",
                     printable(line).c_str());
      });
  progress.finish();
  print_report(c, report, progress.elapsed_seconds());
  return 0;
}

}  // namespace ulr::cli
