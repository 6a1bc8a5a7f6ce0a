#include "infer/visualize.h"

#include <algorithm>
#include <cmath>

#include "data/classes.h"
#include "engine/error.h"

namespace ulr {

Image colorize_labels(const uint8_t* labels, int width, int height) {
  Image out(width, height, 3);
  for (int i = 0; i < width * height; ++i) class_color(labels[i], &out.px[size_t(i) * 3]);
  return out;
}

Image resize_nearest(const Image& img, int width, int height) {
  Image out(width, height, img.channels);
  for (int y = 0; y < height; ++y) {
    int sy = std::min(img.height - 1, int((int64_t(y) * img.height) / height));
    for (int x = 0; x < width; ++x) {
      int sx = std::min(img.width - 1, int((int64_t(x) * img.width) / width));
      std::copy(img.at(sx, sy), img.at(sx, sy) + img.channels, out.at(x, y));
    }
  }
  return out;
}

Image blend(const Image& base, const Image& colors, float alpha) {
  if (base.width != colors.width || base.height != colors.height || base.channels != 3 || colors.channels != 3)
    throw Error("blend: images differ in size or are not RGB");
  Image out(base.width, base.height, 3);
  for (size_t i = 0; i < out.px.size(); ++i)
    out.px[i] = uint8_t(std::lround(alpha * colors.px[i] + (1 - alpha) * base.px[i]));
  return out;
}

Image mosaic(const std::vector<std::vector<Image>>& rows, int cell, int gap) {
  size_t cols = 0;
  for (const auto& r : rows) cols = std::max(cols, r.size());
  int W = int(cols) * (cell + gap) + gap, H = int(rows.size()) * (cell + gap) + gap;
  Image out(W, H, 3);
  std::fill(out.px.begin(), out.px.end(), uint8_t(255));
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t c = 0; c < rows[r].size(); ++c) {
      const Image& src = rows[r][c];
      Image cellimg = resize_nearest(src, cell, cell);
      int ox = gap + int(c) * (cell + gap), oy = gap + int(r) * (cell + gap);
      for (int y = 0; y < cell; ++y)
        for (int x = 0; x < cell; ++x) {
          const uint8_t* p = cellimg.at(x, y);
          uint8_t* q = out.at(ox + x, oy + y);
          if (cellimg.channels >= 3) q[0] = p[0], q[1] = p[1], q[2] = p[2];
          else q[0] = q[1] = q[2] = p[0];
        }
    }
  return out;
}

}  // namespace ulr
