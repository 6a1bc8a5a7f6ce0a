// One imported sample's steps: the class map, the centred crop, the area resize of the image and
// the majority (or nearest) resize of the labels, for any ratio of sizes.
#include <algorithm>
#include <array>
#include <cmath>

#include "data/classes.h"
#include "data/import.h"
#include "engine/error.h"
#include "engine/printable.h"

namespace ulr {

const char* label_resize_name(LabelResize r) {
  return r == LabelResize::Majority ? "majority" : "nearest";
}

LabelResize parse_label_resize(const std::string& name) {
  if (name == "majority") return LabelResize::Majority;
  if (name == "nearest") return LabelResize::Nearest;
  throw Error("expected majority or nearest, got '" + printable(name) + "'");
}

std::vector<uint8_t> map_labels(const SourceSample& sample, const ClassMap& map,
                                const std::string& label) {
  const int W = sample.image.width;
  std::vector<uint8_t> out(sample.labels.size());
  for (size_t p = 0; p < sample.labels.size(); ++p) {
    const int v = sample.labels[p];
    const int16_t id = map(v);
    if (id == ClassMap::kUnmapped)
      throw Error(label + ": label value " + std::to_string(v) + " at (x=" +
                  std::to_string(p % size_t(W)) + ", y=" + std::to_string(p / size_t(W)) +
                  ") is not a " + map.source + " label (the class map covers 0.." +
                  std::to_string(map.target.size() - 1) + ")");
    out[p] = uint8_t(id);
  }
  return out;
}

CropBox import_crop_box(int height, int width, int crop, int out_h, int out_w) {
  const std::string image = std::to_string(width) + "x" + std::to_string(height) + " (WxH)";
  CropBox box;
  if (crop > 0) {
    if (out_h != out_w)
      throw Error("crop: a square crop needs a square size, got " + std::to_string(out_h) + "x" +
                  std::to_string(out_w));
    if (crop > height || crop > width)
      throw Error("image is " + image + ", smaller than the crop " + std::to_string(crop) + "x" +
                  std::to_string(crop));
    box.height = box.width = crop;
  } else if (int64_t(width) * out_h >= int64_t(height) * out_w) {  // wider than the output
    box.height = height;
    box.width = int(std::lround(double(height) * out_w / out_h));
  } else {
    box.width = width;
    box.height = int(std::lround(double(width) * out_h / out_w));
  }
  if (box.height < 1 || box.width < 1)
    throw Error("image is " + image + ", too small to crop to the aspect " +
                std::to_string(out_h) + ":" + std::to_string(out_w));
  box.y0 = (height - box.height) / 2;
  box.x0 = (width - box.width) / 2;
  return box;
}

namespace {

// The source pixels an output pixel covers along one axis, and how much of each: output pixel
// j of n over source [begin, begin + len) covers [begin + j*len/n, begin + (j+1)*len/n).
struct Span {
  int first = 0;                // the first source pixel
  std::vector<double> weights;  // the overlap of first, first+1, ... (in source pixels)
};

std::vector<Span> area_spans(int begin, int len, int n) {
  std::vector<Span> spans(static_cast<size_t>(n));
  const double scale = double(len) / n;
  for (int j = 0; j < n; ++j) {
    const double lo = j * scale, hi = (j + 1) * scale;
    Span& s = spans[size_t(j)];
    s.first = int(std::floor(lo));
    const int last = std::min(len - 1, int(std::ceil(hi)) - 1);
    for (int i = s.first; i <= last; ++i) {
      const double w = std::min(hi, double(i + 1)) - std::max(lo, double(i));
      if (w > 0) s.weights.push_back(w);
      else if (s.weights.empty()) ++s.first;  // a pixel touched at its edge only
    }
    s.first += begin;
  }
  return spans;
}

}  // namespace

Tensor resize_image_area(const Image& image, const CropBox& box, int out_h, int out_w) {
  const int C = image.channels;
  if (C < 1 || C > 4) throw Error("resize: image has " + std::to_string(C) + " channels");
  const std::vector<Span> ys = area_spans(box.y0, box.height, out_h);
  const std::vector<Span> xs = area_spans(box.x0, box.width, out_w);
  const double area = double(box.height) / out_h * (double(box.width) / out_w);
  // Rows first: (box.height, out_w, 3) sums over each output column's span.
  std::vector<double> rows(size_t(box.height) * out_w * 3, 0.0);
  for (int y = 0; y < box.height; ++y)
    for (int ox = 0; ox < out_w; ++ox) {
      const Span& sx = xs[size_t(ox)];
      double acc[3] = {0, 0, 0};
      for (size_t k = 0; k < sx.weights.size(); ++k) {
        const uint8_t* px = image.at(sx.first + int(k), box.y0 + y);
        for (int c = 0; c < 3; ++c) acc[c] += sx.weights[k] * px[C <= 2 ? 0 : c];  // grey (+alpha) replicated
      }
      for (int c = 0; c < 3; ++c) rows[(size_t(y) * out_w + ox) * 3 + c] = acc[c];
    }
  Tensor out = Tensor::empty({3, out_h, out_w});  // (3,h,w)
  float* o = out.data();
  for (int oy = 0; oy < out_h; ++oy) {
    const Span& sy = ys[size_t(oy)];
    for (int ox = 0; ox < out_w; ++ox)
      for (int c = 0; c < 3; ++c) {
        double acc = 0;
        for (size_t k = 0; k < sy.weights.size(); ++k)
          acc += sy.weights[k] * rows[(size_t(sy.first - box.y0 + int(k)) * out_w + ox) * 3 + c];
        o[(size_t(c) * out_h + oy) * out_w + ox] = float(acc / area / 255.0);
      }
  }
  return out;
}

Labels resize_labels(const std::vector<uint8_t>& labels, int width, const CropBox& box, int out_h,
                     int out_w, LabelResize mode) {
  Labels out(Shape{1, out_h, out_w});
  auto at = [&](int x, int y) { return labels[size_t(y) * width + x]; };
  if (mode == LabelResize::Nearest) {
    for (int oy = 0; oy < out_h; ++oy)
      for (int ox = 0; ox < out_w; ++ox) {
        const int y = box.y0 + std::min(box.height - 1, int((oy + 0.5) * box.height / out_h));
        const int x = box.x0 + std::min(box.width - 1, int((ox + 0.5) * box.width / out_w));
        out.data[size_t(oy) * out_w + ox] = at(x, y);
      }
    return out;
  }
  const std::vector<Span> ys = area_spans(box.y0, box.height, out_h);
  const std::vector<Span> xs = area_spans(box.x0, box.width, out_w);
  std::array<double, 256> cover{};  // area of each id inside the output pixel
  std::vector<uint8_t> seen;
  for (int oy = 0; oy < out_h; ++oy)
    for (int ox = 0; ox < out_w; ++ox) {
      const Span &sy = ys[size_t(oy)], &sx = xs[size_t(ox)];
      seen.clear();
      for (size_t a = 0; a < sy.weights.size(); ++a)
        for (size_t b = 0; b < sx.weights.size(); ++b) {
          const uint8_t v = at(sx.first + int(b), sy.first + int(a));
          if (v == kIgnoreLabel) continue;
          if (cover[v] == 0) seen.push_back(v);
          cover[v] += sy.weights[a] * sx.weights[b];
        }
      uint8_t best = kIgnoreLabel;
      double best_cover = 0;
      for (uint8_t v : seen) {
        if (cover[v] > best_cover || (cover[v] == best_cover && v < best)) best = v, best_cover = cover[v];
        cover[v] = 0;
      }
      out.data[size_t(oy) * out_w + ox] = best;
    }
  return out;
}

}  // namespace ulr
