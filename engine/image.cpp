// Image I/O through stb. stb_image decodes many formats but is forgiving with damaged files (a
// truncated JPEG decodes to a grey tail, a PNG's chunk CRCs are never checked), so PNG and JPEG
// files are walked first: every PNG chunk must lie inside the file with a matching CRC up to
// IEND, and a JPEG's segments and entropy-coded data must reach the EOI marker. Only then is the
// file handed to the decoder, which runs on bytes already in memory.
#include "engine/image.h"

#include <cmath>
#include <cstring>

#include "engine/error.h"
#include "engine/fileio.h"

#define STBI_FAILURE_USERMSG
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#include <stb_image.h>
#include <stb_image_write.h>
#pragma GCC diagnostic pop

namespace ulr {

namespace {

using Bytes = std::vector<unsigned char>;

uint32_t read_be32(const unsigned char* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

// The CRC-32 of PNG chunks (ISO 3309, polynomial 0xEDB88320, reflected).
uint32_t crc32(const unsigned char* p, size_t n) {
  static const auto table = [] {
    std::vector<uint32_t> t(256);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

bool is_png(const Bytes& b) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  return b.size() >= 8 && std::memcmp(b.data(), sig, 8) == 0;
}

bool is_jpeg(const Bytes& b) { return b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF; }

// Returns "" when the PNG's chunk structure is complete and intact, else the problem.
std::string check_png(const Bytes& b) {
  size_t pos = 8;
  while (pos + 12 <= b.size()) {
    const uint32_t len = read_be32(&b[pos]);
    const std::string type(reinterpret_cast<const char*>(&b[pos + 4]), 4);
    if (len > b.size() || pos + 12 + len > b.size())
      return "truncated PNG (chunk " + type + " runs past the end of the file)";
    const uint32_t stored = read_be32(&b[pos + 8 + len]);
    if (crc32(&b[pos + 4], 4 + size_t(len)) != stored)
      return "corrupt PNG (CRC mismatch in chunk " + type + ")";
    if (type == "IEND") return "";
    pos += 12 + len;
  }
  return "truncated PNG (no IEND chunk)";
}

// Returns "" when the JPEG's markers lead to an end-of-image marker inside the file.
std::string check_jpeg(const Bytes& b) {
  const size_t n = b.size();
  size_t pos = 2;  // after SOI
  while (true) {
    if (pos >= n) return "truncated JPEG (no end-of-image marker)";
    if (b[pos] != 0xFF) return "corrupt JPEG (expected a marker at byte " + std::to_string(pos) + ")";
    while (pos < n && b[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= n) return "truncated JPEG (no end-of-image marker)";
    const unsigned char marker = b[pos++];
    if (marker == 0xD9) return "";                                   // EOI
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no payload
    if (pos + 2 > n) return "truncated JPEG (no end-of-image marker)";
    const size_t len = (size_t(b[pos]) << 8) | b[pos + 1];
    if (len < 2) return "corrupt JPEG (bad segment length at byte " + std::to_string(pos) + ")";
    if (pos + len > n) return "truncated JPEG (segment runs past the end of the file)";
    if (marker == 0xC4) {
      // Huffman tables: stb_image 2.27 trusts the 16 code counts and writes past its tables
      // when they add up to more than 256 symbols, so the counts are checked here.
      size_t p = pos + 2;
      const size_t end = pos + len;
      while (p < end) {
        if (p + 17 > end) return "corrupt JPEG (bad Huffman table)";
        size_t symbols = 0;
        for (int i = 1; i <= 16; ++i) symbols += b[p + size_t(i)];
        if (symbols > 256 || p + 17 + symbols > end) return "corrupt JPEG (bad Huffman table)";
        p += 17 + symbols;
      }
    }
    pos += len;
    if (marker != 0xDA) continue;
    // Entropy-coded data after a start-of-scan: 0xFF is followed by a stuffed 0x00 or a restart
    // marker; anything else is the next real marker.
    while (true) {
      if (pos + 1 >= n) return "truncated JPEG (scan data runs past the end of the file)";
      if (b[pos] != 0xFF) {
        ++pos;
        continue;
      }
      const unsigned char next = b[pos + 1];
      if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
        pos += 2;
      } else if (next == 0xFF) {
        ++pos;
      } else {
        break;  // pos is at the 0xFF of the next marker
      }
    }
  }
}

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<Bytes*>(context);
  const auto* p = static_cast<const unsigned char*>(data);
  out->insert(out->end(), p, p + size);
}

}  // namespace

Image read_image(const std::string& path) {
  const Bytes bytes = read_file(path);  // throws "PATH: cannot open: ..."
  if (bytes.empty()) throw Error(path + ": empty file, not an image");
  std::string problem;
  if (is_png(bytes)) problem = check_png(bytes);
  else if (is_jpeg(bytes)) problem = check_jpeg(bytes);
  if (!problem.empty()) throw Error(path + ": " + problem);
  if (bytes.size() > size_t(1) << 31) throw Error(path + ": file too large for an image");

  int w = 0, h = 0, c = 0;
  unsigned char* px = stbi_load_from_memory(bytes.data(), int(bytes.size()), &w, &h, &c, 0);
  if (!px) {
    const char* why = stbi_failure_reason();
    throw Error(path + ": cannot decode image: " + (why ? why : "unknown failure"));
  }
  Image img;
  img.width = w;
  img.height = h;
  img.channels = c;
  img.px.assign(px, px + size_t(w) * size_t(h) * size_t(c));
  stbi_image_free(px);
  return img;
}

void write_png(const std::string& path, const Image& img) {
  if (img.width <= 0 || img.height <= 0 || img.channels < 1 || img.channels > 4)
    throw Error(path + ": cannot write a " + std::to_string(img.width) + "x" +
                std::to_string(img.height) + " image with " + std::to_string(img.channels) +
                " channels");
  if (img.px.size() != size_t(img.width) * img.height * img.channels)
    throw Error(path + ": image buffer holds " + std::to_string(img.px.size()) +
                " bytes, expected " + std::to_string(size_t(img.width) * img.height * img.channels));
  Bytes encoded;
  const int ok = stbi_write_png_to_func(append_bytes, &encoded, img.width, img.height,
                                        img.channels, img.px.data(), img.width * img.channels);
  if (!ok || encoded.empty()) throw Error(path + ": PNG encoding failed");
  write_file_atomic(path, encoded.data(), encoded.size());
}

Tensor image_to_tensor(const Image& img) {
  if (img.width <= 0 || img.height <= 0 || img.channels < 1 || img.channels > 4 ||
      img.px.size() != size_t(img.width) * img.height * img.channels)
    throw Error("image_to_tensor: malformed image (" + std::to_string(img.width) + "x" +
                std::to_string(img.height) + "x" + std::to_string(img.channels) + ")");
  const int64_t H = img.height, W = img.width, C = img.channels;
  Tensor t = Tensor::empty({3, H, W});  // (3,H,W)
  float* out = t.data();
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      const uint8_t* p = &img.px[size_t((y * W + x) * C)];
      const bool grey = C < 3;  // grey or grey+alpha: replicate
      // Division, not a multiply by 1/255: k/255 rounds exactly as the sensor's quantiser does.
      for (int64_t c = 0; c < 3; ++c) out[(c * H + y) * W + x] = float(p[grey ? 0 : c]) / 255.0f;
    }
  return t;
}

Image tensor_to_image(const Tensor& chw) {
  if (!chw.defined() || chw.rank() != 3 || (chw.size(0) != 1 && chw.size(0) != 3))
    throw Error("tensor_to_image: expected a (3,H,W) or (1,H,W) tensor, got " +
                (chw.defined() ? chw.shape().str() : std::string("an undefined tensor")));
  const int64_t C = chw.size(0), H = chw.size(1), W = chw.size(2);
  Image img(static_cast<int>(W), static_cast<int>(H), static_cast<int>(C));
  const float* in = chw.data();
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        float v = in[(c * H + y) * W + x];
        v = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;  // NaN becomes 0
        img.px[size_t((y * W + x) * C + c)] = uint8_t(std::floor(v * 255.0f + 0.5f));
      }
  return img;
}

}  // namespace ulr
