// PNG files built byte by byte for tests: chunks with their CRCs, and zlib streams of zeros
// that inflate far beyond their size (a 20000x20000 black image in 2.5 MB, decompression bombs).
#pragma once
#include <cstdint>
#include <vector>

namespace ulr::test {

using Bytes = std::vector<unsigned char>;

inline void put_be32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(uint8_t(v >> shift));
}

inline uint32_t crc32(const unsigned char* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xFFFFFFFFu;
}

inline void put_chunk(Bytes& png, const char* type, const Bytes& data) {
  put_be32(png, uint32_t(data.size()));
  const size_t start = png.size();
  png.insert(png.end(), type, type + 4);
  png.insert(png.end(), data.begin(), data.end());
  put_be32(png, crc32(&png[start], png.size() - start));
}

// A zlib stream of `n` zero bytes in one fixed-Huffman block: a literal 0, then copies of 258
// bytes at distance 1 (13 bits each, so 1 MB inflates from about 6 kB), then literals.
inline Bytes zlib_zeros(uint64_t n) {
  Bytes out = {0x78, 0x01};
  uint32_t bits = 0;
  int count = 0;
  auto put = [&](uint32_t v, int len) {  // LSB-first bit order
    bits |= v << count;
    count += len;
    while (count >= 8) out.push_back(uint8_t(bits)), bits >>= 8, count -= 8;
  };
  auto put_code = [&](uint32_t code, int len) {  // Huffman codes go most significant bit first
    for (int i = len - 1; i >= 0; --i) put((code >> i) & 1, 1);
  };
  put(1, 1);  // BFINAL
  put(1, 2);  // BTYPE 01: fixed Huffman codes
  uint64_t left = n;
  if (left > 0) put_code(0x30, 8), --left;  // literal 0
  for (; left >= 258; left -= 258) put_code(0xC5, 8), put_code(0, 5);  // length 258, distance 1
  for (; left > 0; --left) put_code(0x30, 8);
  put_code(0, 7);  // end of block
  if (count > 0) put(0, 8 - count);
  const uint32_t adler = uint32_t((n % 65521) << 16) | 1u;  // a = 1, b = n mod 65521 for zeros
  put_be32(out, adler);
  return out;
}

// A valid 8-bit grey PNG of width x height whose IDAT inflates to `raw` zero bytes: with
// raw = height * (width + 1) it is an ordinary black image.
inline Bytes png_of_zeros(uint32_t width, uint32_t height, uint64_t raw) {
  Bytes png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  Bytes ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});  // 8-bit grey, deflate, no filter, no interlace
  put_chunk(png, "IHDR", ihdr);
  put_chunk(png, "IDAT", zlib_zeros(raw));
  put_chunk(png, "IEND", {});
  return png;
}

}  // namespace ulr::test
