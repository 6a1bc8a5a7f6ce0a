// 8-bit images in (PNG/JPEG/BMP/... through stb_image) and PNG out (stb_image_write), written
// atomically. Pixels are interleaved row-major: px[(y * width + x) * channels + c].
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace ulr {

struct Image {
  int width = 0, height = 0, channels = 0;  // channels 1 (grey/labels), 3 (RGB) or 4 (RGBA)
  std::vector<uint8_t> px;
  Image() = default;
  Image(int w, int h, int c) : width(w), height(h), channels(c), px(size_t(w) * h * c, 0) {}
  uint8_t* at(int x, int y) { return &px[(size_t(y) * width + x) * channels]; }
  const uint8_t* at(int x, int y) const { return &px[(size_t(y) * width + x) * channels]; }
};

// Reads an image file, keeping its channel count. Throws Error("PATH: ...") when the file is
// missing, unreadable, truncated or not an image.
Image read_image(const std::string& path);
// Writes a PNG atomically. Throws Error("PATH: ...") on failure.
void write_png(const std::string& path, const Image& img);
// Converts between an RGB image and a (3,H,W) float tensor in [0, 1]. Grey and RGBA inputs
// become RGB (grey replicated, alpha dropped).
Tensor image_to_tensor(const Image& img);
Image tensor_to_image(const Tensor& chw);  // values clamped to [0, 1], rounded

}  // namespace ulr
