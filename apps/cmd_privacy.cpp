// `ulrseg privacy`: privacy measured by attacks (docs/PRIVACY.md). Three forms:
//   ulrseg privacy [--quick] ...          the sweep (privacy/sweep.h) and its report and figures
//   ulrseg privacy faces --dir DIR ...    identity attacks on the user's own face images
//   ulrseg privacy export --res R ...     the attacked frames as an ImageFolder for other tools
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "apps/args.h"
#include "apps/commands.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "privacy/export.h"
#include "privacy/faces.h"
#include "privacy/report.h"

namespace ulr::cli {

namespace {

const char* kPrivacyHelp =
    "usage: ulrseg privacy [--quick] [--model R=FILE ...] [--out DIR] [--json | --markdown]\n"
    "                      [--seed K] [--threads N]\n"
    "       ulrseg privacy faces --dir DIR [--folds K] [--steps N] [--json] [--seed K] [--threads N]\n"
    "       ulrseg privacy export --res R --out DIR [--outfits fixed|new] [--quick] [--seed K]\n\n"
    "Measures what an attacker learns about who is in view from the frames the camera hands over.\n"
    "Renders person views (24 known identities at 1-6 m, two outfit settings: fixed, and drawn anew\n"
    "per view), trains identity attacks in the engine on the whole frame and on a person-centred\n"
    "crop at 8, 12, 16, 24, 32 and HR (96x96), and on the SR output of each model of ours, trains a\n"
    "reconstruction G per resolution and attacks its output, and prints top-1/top-5 identity\n"
    "accuracy with 95 % intervals, by distance, against chance (1/24), the distance from which on\n"
    "no attack beats chance, and the segmentation mIoU of each model (300 synthetic test views).\n"
    "Progress lines with elapsed seconds go to stderr. The full sweep takes tens of minutes on two\n"
    "cores; --quick trains on a few views for a first look (about a minute).\n\n"
    "  --model R=FILE   our weights taking RxR frames (repeatable; default\n"
    "                   16=weights/ulrnet-joint-16x16.safetensors when that file exists)\n"
    "  --out DIR        also write DIR/privacy.json, DIR/privacy.md and the SVG figures\n\n"
    "faces: DIR/IDENTITY/*.png|jpg (one folder per person, at least 2 people with 2 images each);\n"
    "identity accuracy of a linear attacker and a small CNN at 4, 8, 12, 16, 24, 32 and 64 px by\n"
    "stratified K-fold cross-validation (default 5, fewer when a person has fewer images), each\n"
    "attacker trained for N steps of 16 images per fold (default 300).\n\n"
    "export: writes DIR/train/IDENTITY/*.png, DIR/test/IDENTITY/*.png and DIR/views.csv (split,\n"
    "identity, file, distance_m, distance_bin, sitting, world_seed): the frames at R (8, 12, 16, 24,\n"
    "32 or 96) that the sweep's attackers saw, for the same --seed and --quick. DIR must not exist\n"
    "or be empty.\n";

const char* kDefaultModel = "weights/ulrnet-joint-16x16.safetensors";

struct PrivacyOptions {
  SweepOptions sweep;
  std::string out;
  Format format = Format::Text;
};

int read_resolution(const std::string& flag, const std::string& text) {
  const std::vector<int>& sides = privacy_resolutions();
  for (int side : sides)
    if (text == std::to_string(side)) return side;
  throw UsageError(flag + ": '" + text + "' is not one of 8, 12, 16, 24, 32, 96");
}

uint64_t read_seed(Args& args) { return uint64_t(args.integer("--seed", 1, 0, INT64_MAX)); }

PrivacyOptions read_privacy_options(Args& args) {
  PrivacyOptions o;
  apply_threads(args);
  o.sweep.quick = args.has("--quick");
  o.sweep.seed = read_seed(args);
  o.out = args.str("--out", "");
  o.format = read_format(args);
  for (const std::string& m : args.all("--model")) {
    const size_t eq = m.find('=');
    if (eq == std::string::npos || eq + 1 == m.size())
      throw UsageError("--model: '" + m + "' is not R=FILE (e.g. 16=weights/ulrnet-joint-16x16.safetensors)");
    const int res = read_resolution("--model", m.substr(0, eq));
    if (res == kPersonViewSize) throw UsageError("--model: '" + m + "': models take ULR frames (8 to 32)");
    if (o.sweep.models.count(res)) throw UsageError("--model: two models for " + m.substr(0, eq));
    const std::string path = m.substr(eq + 1);
    if (!file_exists(path)) throw UsageError("--model: " + path + " does not exist");
    o.sweep.models[res] = path;
  }
  args.finish();
  if (args.all("--model").empty()) {
    if (file_exists(kDefaultModel)) o.sweep.models[16] = kDefaultModel;
    else std::fprintf(stderr, "note: %s is missing; no SR attack and no mIoU\n", kDefaultModel);
  }
  return o;
}

int run_sweep_command(Args& args) {
  const PrivacyOptions o = read_privacy_options(args);
  SweepOptions sweep = o.sweep;
  sweep.log = stderr;
  const PrivacyReport report = run_privacy_sweep(sweep);
  if (!o.out.empty()) {
    make_dirs(o.out);
    const std::string json = privacy_json(report).dump(2) + "\n";
    write_file_atomic(o.out + "/privacy.json", json.data(), json.size());
    char* md = nullptr;
    size_t md_size = 0;
    FILE* mem = open_memstream(&md, &md_size);
    if (!mem) throw Error(o.out + "/privacy.md: cannot format the report in memory");
    print_privacy_markdown(report, mem);
    std::fclose(mem);
    const std::string markdown(md, md_size);
    std::free(md);
    write_file_atomic(o.out + "/privacy.md", markdown.data(), markdown.size());
    for (const std::string& path : write_privacy_plots(report, o.out)) std::fprintf(stderr, "wrote %s\n", path.c_str());
  }
  if (o.format == Format::Json) std::printf("%s\n", privacy_json(report).dump(2).c_str());
  else if (o.format == Format::Markdown) print_privacy_markdown(report, stdout);
  else print_privacy_text(report, stdout);
  return 0;
}

Json faces_json(const FacesReport& r) {
  Json j = Json::object();
  j.set("dir", r.dir).set("identities", r.identities).set("images", r.images).set("folds", r.folds);
  j.set("chance", r.chance).set("chance_top5", r.chance_top5).set("smallest_side", r.smallest_side);
  Json rows = Json::array();
  for (const FacesRow& row : r.rows) {
    Json e = Json::object();
    e.set("resolution", row.res).set("linear_top1", row.linear.to_json()).set("linear_top5", row.linear5.to_json());
    e.set("cnn_top1", row.cnn.to_json()).set("cnn_top5", row.cnn5.to_json());
    rows.push(e);
  }
  Json skipped = Json::array();
  for (int s : r.skipped) skipped.push(s);
  j.set("resolutions", rows).set("skipped_resolutions", skipped).set("seconds", r.seconds);
  return j;
}

int run_faces_command(Args& args) {
  apply_threads(args);
  FacesOptions opt;
  const std::string dir = args.required("--dir");
  opt.folds = int(args.integer("--folds", 5, 2, 100));
  opt.steps = int(args.integer("--steps", 300, 1, 1000000));
  opt.seed = read_seed(args);
  const int64_t max_pixels = args.integer("--max-pixels", kDefaultMaxPixels, 1, kMaxPixelsCeiling);
  const bool json = args.has("--json");
  args.finish();
  const FacesReport r = run_faces(read_face_folder(dir, max_pixels), opt);
  if (json) {
    std::printf("%s\n", faces_json(r).dump(2).c_str());
    return 0;
  }
  std::printf("%s: %d identities, %d images, %d-fold cross-validation; chance top-1 %.1f %%, top-5 %.1f %%\n",
              r.dir.c_str(), r.identities, r.images, r.folds, 100 * r.chance, 100 * r.chance_top5);
  std::printf("  %-6s %-24s %-24s\n", "side", "linear top-1 (95 % CI)", "CNN top-1 (95 % CI)");
  for (const FacesRow& row : r.rows)
    std::printf("  %-6d %5.1f (%5.1f-%5.1f)        %5.1f (%5.1f-%5.1f)\n", row.res, 100 * row.linear.rate(),
                100 * row.linear.lo(), 100 * row.linear.hi(), 100 * row.cnn.rate(), 100 * row.cnn.lo(),
                100 * row.cnn.hi());
  for (int s : r.skipped)
    std::printf("  %dx%d skipped: the smallest image is %d px on a side\n", s, s, r.smallest_side);
  std::printf("elapsed: %.1f s\n", r.seconds);
  return 0;
}

int run_export_command(Args& args) {
  apply_threads(args);
  ExportOptions opt;
  opt.res = read_resolution("--res", args.required("--res"));
  opt.out = args.required("--out");
  const std::string outfits = args.str("--outfits", "fixed");
  opt.quick = args.has("--quick");
  opt.seed = read_seed(args);
  args.finish();
  try {
    opt.outfits = parse_outfits(outfits);
  } catch (const Error& e) {
    throw UsageError(std::string("--outfits: ") + e.what());
  }
  const ExportReport r = export_attack_frames(opt);
  std::printf("wrote %lld training and %lld test frames at %dx%d, %s outfits, under %s; distances in %s\n",
              (long long)r.train_images, (long long)r.test_images, opt.res, opt.res, outfits_name(opt.outfits),
              opt.out.c_str(), r.csv.c_str());
  return 0;
}

}  // namespace

int cmd_privacy(int argc, char** argv) {
  if (argc >= 2 && !std::strcmp(argv[1], "faces")) {
    Args args(argc - 1, argv + 1, {"--json"});
    if (args.help()) return std::fputs(kPrivacyHelp, stdout), 0;
    return run_faces_command(args);
  }
  if (argc >= 2 && !std::strcmp(argv[1], "export")) {
    Args args(argc - 1, argv + 1, {"--quick"});
    if (args.help()) return std::fputs(kPrivacyHelp, stdout), 0;
    return run_export_command(args);
  }
  Args args(argc, argv, {"--quick", "--json", "--markdown"});
  if (args.help()) return std::fputs(kPrivacyHelp, stdout), 0;
  return run_sweep_command(args);
}

}  // namespace ulr::cli
