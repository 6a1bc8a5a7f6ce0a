// 8-bit images in (PNG and JPEG only, through stb_image) and PNG out (stb_image_write), written
// atomically. Pixels are interleaved row-major: px[(y * width + x) * channels + c].
//
// Reading is two steps so that a caller can look at a file's header before anything is
// decoded: read_image_file() reads and checks the file (regular file, PNG or JPEG, intact
// structure, size within the pixel limit), decode_image() decodes it. read_image() does both.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace ulr {

// The most pixels (width x height) an image file may declare: 4096 x 4096, checked from the
// header before decoding. Real datasets are far below it (NYUv2 640x480, SUN RGB-D about
// 730x530) and a 12-megapixel photo passes; the commands that read images raise it with
// --max-pixels N.
constexpr int64_t kDefaultMaxPixels = int64_t(4096) * 4096;
// The most --max-pixels accepts: stb_image decodes at most 2^30 bytes of pixels.
constexpr int64_t kMaxPixelsCeiling = int64_t(1) << 30;

struct Image {
  int width = 0, height = 0, channels = 0;  // channels 1 (grey/labels), 3 (RGB) or 4 (RGBA)
  std::vector<uint8_t> px;
  Image() = default;
  Image(int w, int h, int c) : width(w), height(h), channels(c), px(size_t(w) * h * c, 0) {}
  uint8_t* at(int x, int y) { return &px[(size_t(y) * width + x) * channels]; }
  const uint8_t* at(int x, int y) const { return &px[(size_t(y) * width + x) * channels]; }
};

enum class ImageFormat { Png, Jpeg };

// What a file's header declares, known before decoding.
struct ImageHeader {
  ImageFormat format = ImageFormat::Png;
  int width = 0, height = 0;
  int channels = 0;      // what decoding gives: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
  int bit_depth = 8;     // bits per stored sample: PNG 1, 2, 4, 8 or 16; JPEG 8
  bool palette = false;  // a paletted PNG (decoded to RGB, or RGBA with a tRNS chunk)
};

// An image file in memory, checked but not decoded.
struct ImageFile {
  std::string path;
  ImageHeader header;
  std::vector<unsigned char> bytes;
};

// Reads and checks an image file without decoding it. Throws Error("PATH: ...") when the path
// is missing or not a regular file (a FIFO, a folder), when the file is not PNG or JPEG (the
// same signature tests stb_image applies), is damaged (a PNG chunk outside the file or with a
// wrong CRC, no IEND; a JPEG segment or scan running past the end, a Huffman table of more than
// 256 symbols, more than kMaxJpegScans scans, no SOF0/1/2 frame header), or declares more
// than max_pixels pixels.
ImageFile read_image_file(const std::string& path, int64_t max_pixels = kDefaultMaxPixels);
// Decodes a checked file, keeping its channel count (header.channels). Throws Error("PATH:
// ...") when the decoder fails, or when the image data inflates beyond what the header's size
// needs (a decompression bomb inside a small image).
Image decode_image(const ImageFile& file);
// read_image_file() then decode_image().
Image read_image(const std::string& path, int64_t max_pixels = kDefaultMaxPixels);

// The most scans (start-of-scan segments) a JPEG may hold: the decoder walks every pixel once
// per scan, so a small file of many empty scans would take minutes. Progressive files use about
// 10.
constexpr int kMaxJpegScans = 100;

// The name without its image extension when it ends in .png, .jpg or .jpeg (any case), else "":
// the names read as images. "IMG_1.JPG" -> "IMG_1"; "notes.txt" and ".png" -> "".
std::string image_stem(const std::string& name);
// Whether image_stem(name) is not empty.
bool has_image_extension(const std::string& name);

// Writes a PNG atomically. Throws Error("PATH: ...") on failure.
void write_png(const std::string& path, const Image& img);
// Converts between an RGB image and a (3,H,W) float tensor in [0, 1]. Grey and RGBA inputs
// become RGB (grey replicated, alpha dropped).
Tensor image_to_tensor(const Image& img);
Image tensor_to_image(const Tensor& chw);  // values clamped to [0, 1], rounded

}  // namespace ulr
