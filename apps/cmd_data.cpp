// `ulrseg data gen|import|preview|stats|loader`: datasets. gen (synthetic views into a folder
// dataset) lives in cmd_data_gen.cpp, import (real datasets' releases) in cmd_data_import.cpp;
// preview writes a picture mosaic of the synthetic apartments, stats prints class frequencies and
// render speed, loader how many batches per second the data loader makes from a folder dataset.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "apps/args.h"
#include "apps/commands.h"
#include "data/classes.h"
#include "data/folder.h"
#include "data/loader.h"
#include "data/sensor.h"
#include "data/synthetic.h"
#include "data/views.h"
#include "engine/error.h"
#include "engine/image.h"
#include "engine/json.h"
#include "engine/parallel.h"

namespace ulr::cli {
namespace {

const char* kUsage =
    "usage: ulrseg data <gen|import|preview|stats|loader> [flags]\n\n"
    "  gen      write synthetic views as a folder dataset (ulrseg data gen --help)\n"
    "  import   SUN RGB-D, NYUv2 or images + label PNGs into a folder dataset\n"
    "           (ulrseg data import --help)\n"
    "  preview  --out FILE.png [--count N --size HxW --seed K --split S]\n"
    "           a mosaic, one view per apartment: HR render | 16x16 sensor frame | labels\n"
    "  stats    [--count N --size HxW --seed K --split S --json]\n"
    "           class pixel frequencies, share of views with people, render speed\n"
    "  loader   --data DIR [--split S --size HxW --sensor hxw --batch N --workers W\n"
    "           --batches K --cache --json]: batches/s of the data loader alone on a folder\n"
    "           dataset, as training draws them (flip, colour jitter, the sensor's frame): from\n"
    "           the files (decode, crop, resize on the workers) or, with --cache, from the\n"
    "           decoded views in memory (what `ulrseg train` does)\n\n"
    "common: --threads N (default: all cores), --seed K (default 0), --split train|val|test\n";

struct Common {
  int64_t count = 0;
  int height = 64, width = 64;
  uint64_t seed = 0;
  Split split = Split::Train;
};

Common read_common(Args& args, int64_t default_count, const char* default_size) {
  Common c;
  apply_threads(args);
  c.count = args.integer("--count", default_count, 1, 1000000);
  const Size size = args.size("--size", default_size);
  c.height = size.height, c.width = size.width;
  c.seed = uint64_t(args.integer("--seed", 0, 0, INT64_MAX));
  c.split = read_split(args, "test");
  return c;
}

// Copies a (3,h,w) tensor into the mosaic at (x0, y0), each pixel repeated `scale` times.
void blit(Image& dst, const Tensor& chw, int x0, int y0, int scale) {
  const int h = int(chw.size(1)), w = int(chw.size(2));
  const float* p = chw.data();
  for (int y = 0; y < h * scale; ++y)
    for (int x = 0; x < w * scale; ++x)
      for (int c = 0; c < 3; ++c) {
        float v = p[(size_t(c) * h + y / scale) * w + x / scale];
        v = v < 0 ? 0 : v > 1 ? 1 : v;
        dst.at(x0 + x, y0 + y)[c] = uint8_t(v * 255.0f + 0.5f);
      }
}

void blit_labels(Image& dst, const Labels& labels, int x0, int y0, int h, int w) {
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) class_color(labels.data[size_t(y) * w + x], dst.at(x0 + x, y0 + y));
}

// The 16x16 sensor frame: area average when the size divides, bicubic otherwise.
Tensor ulr_frame(const Tensor& hr) {
  SensorOptions opt;
  opt.out_h = opt.out_w = 16;
  if (hr.size(1) % 16 != 0 || hr.size(2) % 16 != 0) opt.mode = SensorMode::Bicubic;
  return sensor_capture(hr, opt);
}

int data_preview(int argc, char** argv) {
  Args args(argc, argv);
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const std::string out = args.required("--out");
  Common c = read_common(args, 6, "128x128");
  if (c.count > 64) throw UsageError("--count: a preview holds at most 64 views, got " + std::to_string(c.count));
  args.finish();
  SyntheticSource source(c.seed, c.split);
  const int gap = 4, cols = c.count >= 4 ? 2 : 1, rows = int((c.count + cols - 1) / cols);
  const int tile_w = 3 * c.width + 2 * gap, mosaic_w = cols * tile_w + (cols + 1) * 3 * gap;
  Image img(mosaic_w, rows * (c.height + gap) + gap, 3);
  std::fill(img.px.begin(), img.px.end(), uint8_t(255));
  for (int64_t i = 0; i < c.count; ++i) {
    // One view from each of `count` apartments: samples 0, v, 2v, ... (v views per apartment).
    SyntheticSample s = source.sample(i * source.views_per_world() + i % source.views_per_world(), c.height, c.width);
    const int x0 = 3 * gap + int(i % cols) * (tile_w + 3 * gap), y0 = gap + int(i / cols) * (c.height + gap);
    blit(img, s.rgb, x0, y0, 1);
    // The sensor frame, scaled up with nearest neighbour to the HR size (as far as it divides).
    Tensor ulr = ulr_frame(s.rgb);
    const int scale = std::max(1, std::min(c.height / 16, c.width / 16));
    blit(img, ulr, x0 + c.width + gap, y0, scale);
    blit_labels(img, s.labels, x0 + 2 * (c.width + gap), y0, c.height, c.width);
  }
  write_png(out, img);
  std::printf("wrote %" PRId64 " %s views (%dx%d, seed %" PRIu64 ") to %s\n", c.count, split_name(c.split),
              c.height, c.width, c.seed, out.c_str());
  return 0;
}

// What `data stats` reports: per class the share of labelled pixels and of views holding it.
struct DataStats {
  Common views;
  std::vector<int64_t> pixels = std::vector<int64_t>(kNumClasses, 0);      // per class
  std::vector<int64_t> views_with = std::vector<int64_t>(kNumClasses, 0);  // per class
  int64_t with_people = 0, labelled = 0;  // views with a person; pixels with a class
  double seconds = 0;                     // rendering only
  int threads = 0;
  double pixel_percent(int k) const {
    return labelled ? 100.0 * double(pixels[size_t(k)]) / double(labelled) : 0.0;
  }
  double view_percent(int64_t n) const { return 100.0 * double(n) / double(views.count); }
  double views_per_second() const { return double(views.count) / std::max(seconds, 1e-9); }
};

void count_classes(DataStats& st, const SyntheticSample& s) {
  std::vector<bool> seen(kNumClasses, false);
  for (uint8_t l : s.labels.data)
    if (l < kNumClasses) ++st.pixels[l], seen[l] = true, ++st.labelled;
  for (int k = 0; k < kNumClasses; ++k) st.views_with[size_t(k)] += seen[size_t(k)];
  st.with_people += s.has_person;
}

// Views are rendered in batches, one view per thread (each render then runs serially), which
// is how a data loader draws them; the time counts rendering only.
DataStats gather_stats(const Common& c) {
  SyntheticSource source(c.seed, c.split);
  DataStats st;
  st.views = c, st.threads = num_threads();
  const int64_t batch = 32;
  std::vector<SyntheticSample> samples;
  for (int64_t b0 = 0; b0 < c.count; b0 += batch) {
    const int64_t n = std::min(batch, c.count - b0);
    samples.assign(size_t(n), SyntheticSample());
    auto t0 = std::chrono::steady_clock::now();
    parallel_for(n, 1, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) samples[size_t(i)] = source.sample(b0 + i, c.height, c.width);
    });
    st.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const SyntheticSample& s : samples) count_classes(st, s);
  }
  return st;
}

void print_stats_json(const DataStats& st) {
  const Common& c = st.views;
  Json classes = Json::array();
  for (int k = 0; k < kNumClasses; ++k) {
    Json e = Json::object();
    e.set("id", k).set("name", class_name(k));
    e.set("percent", st.pixel_percent(k)).set("views_percent", st.view_percent(st.views_with[size_t(k)]));
    classes.push(e);
  }
  Json root = Json::object();
  root.set("split", split_name(c.split)).set("seed", int64_t(c.seed)).set("count", c.count);
  root.set("height", c.height).set("width", c.width).set("threads", st.threads);
  root.set("classes", classes);
  root.set("views_with_people_percent", st.view_percent(st.with_people));
  root.set("views_per_second", st.views_per_second());
  std::printf("%s\n", root.dump(2).c_str());
}

void print_stats_text(const DataStats& st) {
  const Common& c = st.views;
  std::printf("%" PRId64 " %s views at %dx%d, seed %" PRIu64 "\n\n", c.count, split_name(c.split), c.height,
              c.width, c.seed);
  std::printf("  id  class       pixels %%   in views %%\n");
  for (int k = 0; k < kNumClasses; ++k)
    std::printf("  %2d  %-10s %8.2f    %8.1f\n", k, class_name(k), st.pixel_percent(k),
                st.view_percent(st.views_with[size_t(k)]));
  std::printf("\nviews with people: %.1f%%\n", st.view_percent(st.with_people));
  std::printf("render speed: %.1f views/s (%d threads, %.2f s)\n", st.views_per_second(), st.threads,
              st.seconds);
}

int data_stats(int argc, char** argv) {
  Args args(argc, argv, {"--json"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  Common c = read_common(args, 200, "64x64");
  const bool json = args.has("--json");
  args.finish();
  const DataStats st = gather_stats(c);
  if (json) print_stats_json(st);
  else print_stats_text(st);
  return 0;
}

// `data loader`: the loader alone, as a training run configures it (train/run.cpp).
int data_loader(int argc, char** argv) {
  Args args(argc, argv, {"--cache", "--json"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  apply_threads(args);
  const std::string data = args.required("--data");
  if (data == "synthetic") throw UsageError("--data: a folder dataset (data stats times the renderer)");
  const std::string split = args.str("--split", "train");
  const Size size = args.size("--size", "128x128"), ulr = args.size("--sensor", "16x16");
  LoaderOptions lo;
  lo.batch_size = int(args.integer("--batch", 16, 1, 4096));
  lo.workers = int(args.integer("--workers", 1, 0, 256));
  const int64_t batches = args.integer("--batches", 20, 1, 1000000);
  const bool cache = args.has("--cache"), json = args.has("--json");
  args.finish();
  lo.shuffle = lo.drop_last = true;
  lo.augment.hflip = true;
  lo.augment.brightness = lo.augment.contrast = lo.augment.saturation = 0.2f;
  lo.capture = true;
  lo.sensor.out_h = ulr.height, lo.sensor.out_w = ulr.width;

  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  std::shared_ptr<const Dataset> dataset;
  if (cache) {
    dataset = std::make_shared<ViewSetDataset>(
        load_view_set(data, 0, split, INT64_MAX, size.height, size.width));
  } else {
    auto folder = FolderDataset::open(data, split, FolderOptions{size.height, size.width});
    require_project_classes(folder->manifest(), data + "/dataset.json");
    dataset = folder;
  }
  const double cache_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  BatchLoader loader(dataset, lo);
  Batch b;
  const auto t1 = Clock::now();
  for (int64_t done = 0, epoch = 0; done < batches; ++epoch) {
    loader.start_epoch(epoch);
    while (done < batches && loader.next(b)) ++done;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t1).count();
  const double rate = double(batches) / std::max(seconds, 1e-9);
  if (json) {
    Json j = Json::object();
    j.set("data", data).set("split", split).set("samples", dataset->size()).set("cache", cache);
    j.set("batch", lo.batch_size).set("workers", lo.workers).set("batches", batches);
    j.set("batches_per_s", rate).set("samples_per_s", rate * lo.batch_size);
    j.set("cache_seconds", cache ? cache_seconds : 0.0);
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s/%s (%" PRId64 " samples, %dx%d -> %dx%d, %s): %.2f batches/s of %d, %.1f samples/s "
                "(%" PRId64 " batches, %d workers)\n",
                data.c_str(), split.c_str(), dataset->size(), size.height, size.width, ulr.height,
                ulr.width, cache ? "cached" : "from the files", rate, lo.batch_size, rate * lo.batch_size,
                batches, lo.workers);
    if (cache) std::printf("reading and decoding the split into memory: %.1fs\n", cache_seconds);
  }
  return 0;
}

}  // namespace

int cmd_data(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string sub = argv[1];
  if (sub == "gen") return cmd_data_gen(argc - 1, argv + 1);
  if (sub == "import") return cmd_data_import(argc - 1, argv + 1);
  if (sub == "preview") return data_preview(argc - 1, argv + 1);
  if (sub == "stats") return data_stats(argc - 1, argv + 1);
  if (sub == "loader") return data_loader(argc - 1, argv + 1);
  throw UsageError("unknown subcommand '" + sub + "' (gen, import, preview, stats, loader)");
}

}  // namespace ulr::cli
