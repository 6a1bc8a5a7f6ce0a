// `ulrseg infer`: segments ULR frames (or larger images, through the simulated sensor) and
// writes class-id PNGs, colour PNGs, overlays and, on request, the SR image.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "apps/args.h"
#include "apps/commands.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/image.h"
#include "engine/printable.h"
#include "infer/visualize.h"
#include "ulrseg/ulrseg.h"

namespace ulr::cli {

static const char* kInferHelp =
    "usage: ulrseg infer --weights FILE --input FILE|DIR --out DIR [--sr] [--max-pixels N]\n"
    "                    [--threads N]\n\n"
    "For each PNG/JPEG input writes NAME_classes.png (class ids 0..13, 8-bit), NAME_color.png\n"
    "(class colours), NAME_overlay.png (colours over the enlarged input) and, with --sr, NAME_sr.png\n"
    "(the image the segmenter saw). Frames must be the model's input size (e.g. 16x16); larger\n"
    "images are first reduced as the privacy-preserving sensor would (centre crop, area average,\n"
    "8-bit), and a note says so. Grey images are replicated to RGB; alpha is dropped.\n\n"
    "An input that cannot be read or segmented gets one line on stderr and no outputs; the others\n"
    "are still written, and the exit status is then 1. Two inputs that would write the same\n"
    "outputs (a.png and a.jpg) stop the run before anything is written.\n\n"
    "  --max-pixels N   the most pixels an input may declare (default 4096x4096 = 16777216)\n";

// The inputs, by name: a FIFO or a folder named like an image is listed too, and refused with
// its own line when it is read.
static std::vector<std::string> list_inputs(const std::string& input) {
  struct stat st;
  if (::stat(input.c_str(), &st) != 0) throw UsageError("--input: " + input + " does not exist");
  if (!S_ISDIR(st.st_mode)) return {input};
  std::vector<std::string> files;
  for (const std::string& name : list_folder(input))  // sorted
    if (has_image_extension(name)) files.push_back(input + "/" + name);
  if (files.empty()) throw Error(input + ": no PNG or JPEG files in the folder");
  return files;
}

static std::string stem_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = name.find_last_of('.');
  return dot == std::string::npos ? name : name.substr(0, dot);
}

// Two inputs with one stem (a.png, a.jpg) would overwrite each other's outputs: refused before
// anything is written, naming both.
static void check_distinct_stems(const std::vector<std::string>& files, const std::string& out) {
  std::map<std::string, std::string> owner;  // stem -> the input that has it
  for (const std::string& file : files) {
    auto [it, fresh] = owner.insert({stem_of(file), file});
    if (!fresh)
      throw Error(it->second + " and " + file + " would both write " + out + "/" + it->first +
                  "_*.png; rename one");
  }
}

// RGB bytes of any 1-4 channel image (grey replicated, alpha dropped).
static Image to_rgb(const Image& img) {
  if (img.channels == 3) return img;
  Image out(img.width, img.height, 3);
  for (int i = 0; i < img.width * img.height; ++i) {
    const uint8_t* p = &img.px[size_t(i) * img.channels];
    uint8_t* q = &out.px[size_t(i) * 3];
    if (img.channels <= 2) q[0] = q[1] = q[2] = p[0];
    else q[0] = p[0], q[1] = p[1], q[2] = p[2];
  }
  return out;
}

// Segments one input and writes its outputs. Throws Error naming the file.
static void segment_file(const ulrseg::Segmenter& seg, const std::string& file,
                         const std::string& out, int64_t max_pixels, bool want_sr) {
  const int iw = seg.input_width(), ih = seg.input_height();
  Image img = to_rgb(read_image(file, max_pixels));
  ulrseg::Segmentation s;
  Image frame = img;
  if (img.width == iw && img.height == ih) {
    s = seg.segment(img.px.data(), iw, ih);
  } else if (img.width >= iw && img.height >= ih) {
    std::fprintf(stderr, "note: %s is %dx%d: reduced to the %dx%d sensor frame (centre crop, area average)\n",
                 printable(file).c_str(), img.width, img.height, iw, ih);
    try {
      s = seg.segment_image(img.px.data(), img.width, img.height);
    } catch (const ulrseg::Error& e) {
      throw Error(file + ": " + e.what());
    }
    frame = Image();  // the overlay then shows the SR image, not the full photo
  } else {
    throw Error(file + ": image is " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                ", smaller than the model's " + std::to_string(iw) + "x" + std::to_string(ih) + " input");
  }
  const std::string base = out + "/" + stem_of(file);
  Image classes(s.width, s.height, 1);
  classes.px = s.classes;
  write_png(base + "_classes.png", classes);
  Image colors = colorize_labels(s.classes.data(), s.width, s.height);
  write_png(base + "_color.png", colors);
  Image sr(s.width, s.height, 3);
  sr.px = s.sr_rgb;
  Image under = frame.width ? resize_nearest(frame, s.width, s.height) : sr;
  write_png(base + "_overlay.png", blend(under, colors, 0.5f));
  if (want_sr) write_png(base + "_sr.png", sr);
  std::printf("%s -> %s_{classes,color,overlay%s}.png\n", printable(file).c_str(),
              printable(base).c_str(), want_sr ? ",sr" : "");
}

int cmd_infer(int argc, char** argv) {
  Args args(argc, argv, {"--sr"});
  if (args.help()) {
    std::fputs(kInferHelp, stdout);
    return 0;
  }
  apply_threads(args);
  std::string weights = args.required("--weights");
  std::string input = args.required("--input");
  std::string out = args.required("--out");
  bool want_sr = args.has("--sr");
  const long long max_pixels = args.integer("--max-pixels", kDefaultMaxPixels, 1, kMaxPixelsCeiling);
  args.finish();

  std::vector<std::string> files = list_inputs(input);
  check_distinct_stems(files, out);
  ulrseg::Segmenter seg = [&]() {
    try {
      return ulrseg::Segmenter(weights);
    } catch (const ulrseg::Error& e) {
      throw Error(e.what());
    }
  }();
  make_dirs(out);
  // Inputs are independent: a bad one is reported and skipped, and the others are written.
  int failed = 0;
  for (const std::string& file : files) {
    try {
      segment_file(seg, file, out, max_pixels, want_sr);
    } catch (const Error& e) {
      std::fprintf(stderr, "ulrseg infer: %s\n", printable(e.what()).c_str());
      ++failed;
    } catch (const ulrseg::Error& e) {
      std::fprintf(stderr, "ulrseg infer: %s\n", printable(e.what()).c_str());
      ++failed;
    }
  }
  if (failed == 0) return 0;
  if (files.size() > 1)
    std::fprintf(stderr, "ulrseg infer: %d of %zu inputs failed (above); the others were written\n",
                 failed, files.size());
  return 1;
}

}  // namespace ulr::cli
