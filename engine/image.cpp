// Image I/O through stb, PNG and JPEG only. stb_image trusts what a file declares and forgives
// damage (a truncated JPEG decodes to a grey tail, a PNG's chunk CRCs are never checked), so a
// file is checked before the decoder sees it: a regular file; PNG or JPEG by the very signature
// tests stb applies (a JPEG may open with fill bytes, FF FF D8); a header within the pixel
// limit; every PNG chunk inside the file with a matching CRC up to IEND; a JPEG's segments and
// entropy-coded data reaching the EOI marker, walked marker by marker as stb walks them, with
// every Huffman table checked (stb 2.27 writes past its tables when the code counts add up to
// more than 256). The decoder then runs on bytes in memory, and each of its allocations is
// capped by what the header's size needs, so image data that inflates beyond its header (a
// decompression bomb inside a small image) is refused instead of filling memory.
#include "engine/image.h"


#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "engine/error.h"
#include "engine/fileio.h"

namespace {

// The byte cap of one stb_image allocation, set for one decode on this thread by DecodeScope
// (image.cpp only; SIZE_MAX outside a decode), and whether an allocation went over it.
thread_local size_t t_stb_allocation_cap = SIZE_MAX;
thread_local bool t_stb_allocation_refused = false;

void* stb_malloc_capped(size_t n) {
  if (n > t_stb_allocation_cap) {
    t_stb_allocation_refused = true;
    return nullptr;
  }
  return std::malloc(n);
}

void* stb_realloc_capped(void* p, size_t n) {
  if (n > t_stb_allocation_cap) {
    t_stb_allocation_refused = true;
    return nullptr;
  }
  return std::realloc(p, n);
}

}  // namespace

#define STBI_MALLOC(n) stb_malloc_capped(n)
#define STBI_REALLOC(p, n) stb_realloc_capped(p, n)
#define STBI_FREE(p) std::free(p)
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_NO_STDIO
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

// stb_image takes the length of its input as an int.
constexpr int64_t kMaxImageFileBytes = INT32_MAX;

uint32_t read_be32(const unsigned char* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

int read_be16(const unsigned char* p) { return (int(p[0]) << 8) | int(p[1]); }

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

// stb's PNG test (stbi__check_png_header): the 8-byte signature.
bool is_png(const Bytes& b) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  return b.size() >= 8 && std::memcmp(b.data(), sig, 8) == 0;
}

// stb's JPEG test (stbi__jpeg_test through stbi__get_marker): 0xFF, any number of 0xFF fill
// bytes, then the start-of-image code 0xD8. Returns the offset after it, or 0 when the bytes
// are not a JPEG to stb.
size_t jpeg_body_start(const Bytes& b) {
  if (b.empty() || b[0] != 0xFF) return 0;
  size_t pos = 1;
  while (pos < b.size() && b[pos] == 0xFF) ++pos;
  if (pos >= b.size() || b[pos] != 0xD8) return 0;
  return pos + 1;
}

// Reads the PNG's IHDR chunk, which must come first (stb reads no other chunk before it but
// Apple's CgBI, which it decodes with red and blue swapped: refused here). Returns "" or the
// problem.
std::string read_png_header(const Bytes& b, ImageHeader* h) {
  if (b.size() < 8 + 25) return "truncated PNG (no complete IHDR chunk)";
  if (read_be32(&b[8]) != 13 || std::memcmp(&b[12], "IHDR", 4) != 0)
    return "corrupt PNG (the first chunk is not a 13-byte IHDR)";
  if (crc32(&b[12], 17) != read_be32(&b[29])) return "corrupt PNG (CRC mismatch in chunk IHDR)";
  const uint32_t width = read_be32(&b[16]), height = read_be32(&b[20]);
  if (width > uint32_t(INT32_MAX) || height > uint32_t(INT32_MAX))
    return "corrupt PNG (IHDR size above 2^31 - 1)";
  const int colour = b[25];
  static const int kChannels[7] = {1, 0, 3, 3, 2, 0, 4};  // by colour type; 0: not a type
  if (colour > 6 || kChannels[colour] == 0)
    return "corrupt PNG (colour type " + std::to_string(colour) + ")";
  h->format = ImageFormat::Png;
  h->width = int(width);
  h->height = int(height);
  h->bit_depth = b[24];
  h->palette = colour == 3;
  h->channels = kChannels[colour];
  return "";
}

// Returns "" when the PNG's chunk structure is complete and intact, else the problem. A tRNS
// chunk adds an alpha channel to what decoding gives.
std::string check_png(const Bytes& b, ImageHeader* h) {
  size_t pos = 8;
  while (pos + 12 <= b.size()) {
    const uint32_t len = read_be32(&b[pos]);
    const std::string type(reinterpret_cast<const char*>(&b[pos + 4]), 4);
    if (len > b.size() || pos + 12 + len > b.size())
      return "truncated PNG (chunk " + type + " runs past the end of the file)";
    const uint32_t stored = read_be32(&b[pos + 8 + len]);
    if (crc32(&b[pos + 4], 4 + size_t(len)) != stored)
      return "corrupt PNG (CRC mismatch in chunk " + type + ")";
    if (type == "tRNS" && (h->channels == 1 || h->channels == 3)) ++h->channels;
    if (type == "IEND") return "";
    pos += 12 + len;
  }
  return "truncated PNG (no IEND chunk)";
}

// Checks one DHT segment's tables, payload b[begin, end): stb_image 2.27 trusts the 16 code
// counts of a table and writes past its arrays when they add up to more than 256 symbols.
bool huffman_tables_fit(const Bytes& b, size_t begin, size_t end) {
  size_t p = begin;
  while (p < end) {
    if (p + 17 > end) return false;
    size_t symbols = 0;
    for (int i = 1; i <= 16; ++i) symbols += b[p + size_t(i)];
    if (symbols > 256 || p + 17 + symbols > end) return false;
    p += 17 + symbols;
  }
  return true;
}

// Walks a JPEG from just after its start-of-image marker to the end-of-image marker as
// stb_image walks it (stbi__get_marker: a marker is 0xFF, any 0xFF fill bytes, then its code),
// so every segment stb will read is seen here. Reads the frame header (SOF0, 1 or 2; the only
// ones stb decodes) into *h. Returns "" or the problem.
std::string check_jpeg(const Bytes& b, size_t pos, ImageHeader* h) {
  const size_t n = b.size();
  bool have_frame = false;
  int scans = 0;
  while (true) {
    if (pos >= n) return "truncated JPEG (no end-of-image marker)";
    if (b[pos] != 0xFF) return "corrupt JPEG (expected a marker at byte " + std::to_string(pos) + ")";
    while (pos < n && b[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= n) return "truncated JPEG (no end-of-image marker)";
    const unsigned char marker = b[pos++];
    if (marker == 0xD9) break;                                          // EOI
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no payload
    if (pos + 2 > n) return "truncated JPEG (no end-of-image marker)";
    const size_t len = size_t(read_be16(&b[pos]));
    if (len < 2) return "corrupt JPEG (bad segment length at byte " + std::to_string(pos) + ")";
    if (pos + len > n) return "truncated JPEG (segment runs past the end of the file)";
    if (marker == 0xC4 && !huffman_tables_fit(b, pos + 2, pos + len))
      return "corrupt JPEG (bad Huffman table)";
    if (marker >= 0xC0 && marker <= 0xC2 && !have_frame) {
      if (len < 8) return "corrupt JPEG (bad frame header)";
      h->format = ImageFormat::Jpeg;
      h->bit_depth = b[pos + 2];
      h->height = read_be16(&b[pos + 3]);
      h->width = read_be16(&b[pos + 5]);
      h->channels = b[pos + 7] >= 3 ? 3 : 1;  // stb gives RGB for 3 or 4 components
      h->palette = false;
      have_frame = true;
    }
    pos += len;
    if (marker != 0xDA) continue;
    if (!have_frame) return "corrupt JPEG (a scan before the frame header)";
    if (++scans > kMaxJpegScans)
      return "JPEG has more than " + std::to_string(kMaxJpegScans) + " scans (the limit)";
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
  if (!have_frame) return "JPEG has no baseline or progressive frame header (SOF0, SOF1, SOF2)";
  return "";
}

std::string size_text(int width, int height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

// What a path is when it is not a regular file, for messages.
// Sets the allocation cap for one decode on this thread. The decoder's largest legitimate
// buffers are its inflated PNG rows (at most twice the filtered data, 8 bytes a pixel for
// 16-bit RGBA, when interlacing makes it grow), its JPEG components padded to whole blocks,
// and its copy of the compressed data (at most twice the file).
class DecodeScope {
 public:
  DecodeScope(const ImageHeader& h, size_t file_bytes) {
    const uint64_t padded = (uint64_t(h.width) + 32) * (uint64_t(h.height) + 32);
    t_stb_allocation_cap = size_t(16 * padded + 2 * uint64_t(file_bytes) + (1u << 20));
    t_stb_allocation_refused = false;
  }
  ~DecodeScope() { t_stb_allocation_cap = SIZE_MAX; }
  DecodeScope(const DecodeScope&) = delete;
  DecodeScope& operator=(const DecodeScope&) = delete;
  bool refused() const { return t_stb_allocation_refused; }
};

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<Bytes*>(context);
  const auto* p = static_cast<const unsigned char*>(data);
  out->insert(out->end(), p, p + size);
}

}  // namespace

ImageFile read_image_file(const std::string& path, int64_t max_pixels) {
  const int64_t size = regular_file_size(path, "an image file");
  if (size > kMaxImageFileBytes)
    throw Error(path + ": file too large for an image (" + std::to_string(size) +
                " bytes, limit " + std::to_string(kMaxImageFileBytes) + ")");
  ImageFile file;
  file.path = path;
  file.bytes = read_file(path);  // throws "PATH: cannot open: ..."
  const Bytes& bytes = file.bytes;
  if (bytes.empty()) throw Error(path + ": empty file, not an image");
  if (int64_t(bytes.size()) > kMaxImageFileBytes) throw Error(path + ": file too large for an image");

  ImageHeader& h = file.header;
  std::string problem;
  const size_t jpeg_start = jpeg_body_start(bytes);
  if (jpeg_start > 0) {
    problem = check_jpeg(bytes, jpeg_start, &h);
  } else if (is_png(bytes)) {
    problem = read_png_header(bytes, &h);
  } else {
    throw Error(path + ": cannot decode image: not a PNG or JPEG file (the only formats read)");
  }
  if (!problem.empty()) throw Error(path + ": " + problem);
  if (h.width < 1 || h.height < 1)
    throw Error(path + ": header declares a " + size_text(h.width, h.height) + " image (no pixels)");
  const int64_t pixels = int64_t(h.width) * h.height;
  if (pixels > max_pixels)
    throw Error(path + ": image is " + size_text(h.width, h.height) + " (" +
                std::to_string(pixels) + " pixels), above the limit of " +
                std::to_string(max_pixels) + " pixels (--max-pixels N raises it)");
  if (h.format == ImageFormat::Png) problem = check_png(bytes, &h);
  if (!problem.empty()) throw Error(path + ": " + problem);
  return file;
}

Image decode_image(const ImageFile& file) {
  const ImageHeader& h = file.header;
  int w = 0, ht = 0, c = 0;
  unsigned char* px = nullptr;
  bool refused = false;
  {
    DecodeScope scope(h, file.bytes.size());
    px = stbi_load_from_memory(file.bytes.data(), int(file.bytes.size()), &w, &ht, &c, 0);
    refused = scope.refused();
  }
  if (!px) {
    if (refused)
      throw Error(file.path + ": cannot decode image: its data inflates beyond what a " +
                  size_text(h.width, h.height) + " image needs (a decompression bomb?)");
    const char* why = stbi_failure_reason();
    throw Error(file.path + ": cannot decode image: " + (why ? why : "unknown failure"));
  }
  Image img;
  img.width = w;
  img.height = ht;
  img.channels = c;
  img.px.assign(px, px + size_t(w) * size_t(ht) * size_t(c));
  stbi_image_free(px);
  if (w != h.width || ht != h.height || c != h.channels)
    throw Error(file.path + ": decoded a " + size_text(w, ht) + " image of " + std::to_string(c) +
                " channels, the header declares " + size_text(h.width, h.height) + " of " +
                std::to_string(h.channels));
  return img;
}

Image read_image(const std::string& path, int64_t max_pixels) {
  return decode_image(read_image_file(path, max_pixels));
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

std::string image_stem(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  for (const char* ext : {".png", ".jpg", ".jpeg"}) {
    const size_t n = std::string(ext).size();
    if (lower.size() > n && lower.compare(lower.size() - n, n, ext) == 0) return name.substr(0, name.size() - n);
  }
  return std::string();
}

bool has_image_extension(const std::string& name) { return !image_stem(name).empty(); }

}  // namespace ulr
