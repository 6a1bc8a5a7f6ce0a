// Image I/O: lossless PNG round trips, tensor conversion, and damaged, foreign or hostile files
// (fill bytes before a JPEG's SOI, other formats, decompression bombs, FIFOs) rejected with a
// message naming the file, never a crash, a hang or a huge allocation.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <stb_image_write.h>

#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/image.h"

#include "png_bytes.h"
#include "temp_dir.h"

using namespace ulr;
using namespace ulr::test;

namespace {

Image pattern(int w, int h, int c) {
  Image img(w, h, c);
  for (size_t i = 0; i < img.px.size(); ++i) img.px[i] = uint8_t((i * 37 + i / 7) & 0xFF);
  return img;
}

// Plain (not atomic, no fsync) writes: the truncation loops write hundreds of files.
void write_bytes(const std::string& path, const std::vector<unsigned char>& b, size_t n) {
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  std::fwrite(b.data(), 1, n, f);
  std::fclose(f);
}

std::string error_of_limited(const std::string& path, int64_t max_pixels) {
  try {
    read_image(path, max_pixels);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string error_of(const std::string& path) { return error_of_limited(path, kDefaultMaxPixels); }

void append(void* ctx, void* data, int size) {
  auto* v = static_cast<std::vector<unsigned char>*>(ctx);
  v->insert(v->end(), static_cast<unsigned char*>(data), static_cast<unsigned char*>(data) + size);
}

// The bytes of a JPEG of `img` written by stb_image_write.
Bytes jpeg_of(const Image& img) {
  Bytes bytes;
  REQUIRE(stbi_write_jpg_to_func(append, &bytes, img.width, img.height, img.channels,
                                 img.px.data(), 90));
  return bytes;
}

}  // namespace

TEST_CASE("PNG write then read is lossless for 1, 3 and 4 channels") {
  TempDir dir("ulrseg_test_image");
  for (int c : {1, 3, 4}) {
    Image img = pattern(13, 7, c);
    std::string path = dir.path + "/p" + std::to_string(c) + ".png";
    write_png(path, img);
    Image back = read_image(path);
    CHECK(back.width == 13);
    CHECK(back.height == 7);
    CHECK(back.channels == c);
    CHECK(back.px == img.px);
  }
  // No temp file is left beside the target.
  CHECK_FALSE(file_exists(dir.path + "/p3.png.tmp." + std::to_string(getpid())));
}

TEST_CASE("image_to_tensor and tensor_to_image invert each other") {
  Image img = pattern(5, 4, 3);
  Tensor t = image_to_tensor(img);
  REQUIRE(t.shape() == Shape({3, 4, 5}));
  // Pixel (x=2, y=1), channel 1 lands at [1][1][2].
  CHECK(t.data()[(1 * 4 + 1) * 5 + 2] == doctest::Approx(img.at(2, 1)[1] / 255.0f));
  CHECK(tensor_to_image(t).px == img.px);

  Image grey = pattern(3, 2, 1);
  Tensor g = image_to_tensor(grey);
  for (int c = 0; c < 3; ++c) CHECK(g.data()[c * 6 + 4] == doctest::Approx(grey.px[4] / 255.0f));

  Tensor out = Tensor::from_vector({3, 1, 2}, {-0.5f, 2.0f, 0.5f, 0.499f, 1.0f / 255.0f, 0.0f});
  Image clamped = tensor_to_image(out);
  CHECK(clamped.px == std::vector<uint8_t>{0, 128, 1, 255, 127, 0});
  CHECK_THROWS_AS(tensor_to_image(Tensor::zeros({2, 2, 2})), Error);
}

TEST_CASE("missing, empty and non-image files are rejected naming the file") {
  TempDir dir("ulrseg_test_image");
  std::string missing = dir.path + "/nope.png";
  std::string msg = error_of(missing);
  CHECK(msg.find(missing) == 0);
  CHECK(msg.find("cannot open") != std::string::npos);

  std::string empty = dir.path + "/empty.png";
  write_file_atomic(empty, "", 0);
  msg = error_of(empty);
  CHECK(msg.find(empty) == 0);
  CHECK(msg.find("empty file") != std::string::npos);

  std::string text = dir.path + "/notes.png";
  std::string body = "this is not an image at all\n";
  write_file_atomic(text, body.data(), body.size());
  msg = error_of(text);
  CHECK(msg == text + ": cannot decode image: not a PNG or JPEG file (the only formats read)");

  CHECK_THROWS_AS(write_png(dir.path + "/bad.png", Image(0, 3, 3)), Error);
  CHECK_THROWS_AS(write_png(dir.path + "/no_such_dir/x.png", pattern(2, 2, 3)), Error);
}

TEST_CASE("every truncation of a PNG is an error, never a crash") {
  TempDir dir("ulrseg_test_image");
  std::string good = dir.path + "/good.png";
  write_png(good, pattern(9, 6, 3));
  std::vector<unsigned char> bytes = read_file(good);
  std::string cut = dir.path + "/cut.png";
  for (size_t n = 1; n < bytes.size(); ++n) {
    write_bytes(cut, bytes, n);
    std::string msg = error_of(cut);
    CAPTURE(n);
    REQUIRE(msg.find(cut + ": ") == 0);
  }
  write_bytes(cut, bytes, bytes.size() - 12);  // exactly the IEND chunk missing
  CHECK(error_of(cut) == cut + ": truncated PNG (no IEND chunk)");
  write_bytes(cut, bytes, bytes.size() / 2);
  CHECK(error_of(cut).find("truncated PNG (chunk IDAT runs past the end of the file)") !=
        std::string::npos);

  // A flipped bit inside the image data is caught by the chunk CRC.
  std::vector<unsigned char> flipped = bytes;
  flipped[bytes.size() - 20] ^= 0x10;
  write_bytes(cut, flipped, flipped.size());
  CHECK(error_of(cut).find("corrupt PNG (CRC mismatch in chunk IDAT)") != std::string::npos);
}

TEST_CASE("JPEG reads, and every truncation of a JPEG is an error") {
  TempDir dir("ulrseg_test_image");
  Image img = pattern(16, 12, 3);
  std::vector<unsigned char> bytes;
  REQUIRE(stbi_write_jpg_to_func(append, &bytes, img.width, img.height, 3, img.px.data(), 90));
  std::string good = dir.path + "/good.jpg";
  write_bytes(good, bytes, bytes.size());
  Image back = read_image(good);
  CHECK(back.width == 16);
  CHECK(back.height == 12);
  CHECK(back.channels == 3);

  std::string cut = dir.path + "/cut.jpg";
  for (size_t n = 1; n < bytes.size(); ++n) {
    write_bytes(cut, bytes, n);
    std::string msg = error_of(cut);
    CAPTURE(n);
    REQUIRE(msg.find(cut + ": ") == 0);
  }
  write_bytes(cut, bytes, bytes.size() - 2);  // only the end-of-image marker missing
  CHECK(error_of(cut) == cut + ": truncated JPEG (scan data runs past the end of the file)");
  write_bytes(cut, bytes, 40);
  CHECK(error_of(cut).find("truncated JPEG") != std::string::npos);

  // A Huffman table whose code counts add up to more than 256 symbols (which would make the
  // decoder write past its tables) is rejected before decoding.
  std::vector<unsigned char> bad = bytes;
  size_t dht = 2;
  while (dht + 1 < bad.size() && !(bad[dht] == 0xFF && bad[dht + 1] == 0xC4)) ++dht;
  REQUIRE(dht + 21 < bad.size());
  for (int i = 0; i < 16; ++i) bad[dht + 5 + size_t(i)] = 0x20;  // 16 x 32 = 512 symbols
  write_bytes(cut, bad, bad.size());
  CHECK(error_of(cut) == cut + ": corrupt JPEG (bad Huffman table)");
}

TEST_CASE("a JPEG opening with fill bytes is walked like any JPEG: its Huffman tables are checked") {
  TempDir dir("ulrseg_test_image");
  const std::string path = dir.path + "/fill.jpg";
  // 26 bytes: fill byte, SOI, then a DHT whose 16 code counts (255 each) promise 4080 symbols.
  // stb takes FF FF D8 for a start of image and would build that table past its arrays.
  Bytes bad = {0xFF, 0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x13, 0x00};
  bad.insert(bad.end(), 16, 0xFF);
  bad.insert(bad.end(), {0xFF, 0xD9});
  REQUIRE(bad.size() == 26);
  write_bytes(path, bad, bad.size());
  CHECK(error_of(path) == path + ": corrupt JPEG (bad Huffman table)");
  bad.insert(bad.begin(), 3, 0xFF);  // more fill bytes: the same
  write_bytes(path, bad, bad.size());
  CHECK(error_of(path) == path + ": corrupt JPEG (bad Huffman table)");

  // A whole JPEG behind fill bytes reads as itself.
  Bytes good = jpeg_of(pattern(16, 12, 3));
  good.insert(good.begin(), 2, 0xFF);
  write_bytes(path, good, good.size());
  const Image back = read_image(path);
  CHECK(back.width == 16);
  CHECK(back.height == 12);
}

TEST_CASE("image names: .png, .jpg and .jpeg in any case, the stem kept as written") {
  CHECK(image_stem("a.png") == "a");
  CHECK(image_stem("IMG_0001.JPG") == "IMG_0001");
  CHECK(image_stem("scan.v2.Jpeg") == "scan.v2");
  CHECK(image_stem(".png") == "");
  CHECK(image_stem("notes.txt") == "");
  CHECK(image_stem("png") == "");
  CHECK(has_image_extension("b.PNG"));
  CHECK_FALSE(has_image_extension("b.png.bak"));
}

TEST_CASE("formats other than PNG and JPEG are refused, whatever the file's name") {
  TempDir dir("ulrseg_test_image");
  // 256 bytes: a 4x4 24-bit uncompressed TGA, zero-padded (stb would decode it).
  Bytes tga = {0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 4, 0, 24, 0};
  tga.resize(256, 0x40);
  const std::string path = dir.path + "/photo.png";
  write_bytes(path, tga, tga.size());
  CHECK(error_of(path) == path + ": cannot decode image: not a PNG or JPEG file (the only formats read)");
}

TEST_CASE("the pixel limit is checked from the header, before decoding") {
  TempDir dir("ulrseg_test_image");
  // A real 20000x20000 PNG (2.5 MB, 400 megapixels of black): refused from its header.
  const std::string big = dir.path + "/big.png";
  const Bytes png = png_of_zeros(20000, 20000, uint64_t(20000) * 20001);
  write_bytes(big, png, png.size());
  CHECK(error_of(big) == big + ": image is 20000x20000 (400000000 pixels), above the limit of " +
                             std::to_string(kDefaultMaxPixels) + " pixels (--max-pixels N raises it)");
  CHECK(kDefaultMaxPixels == 4096 * 4096);

  // The limit is inclusive, and a caller may lower or raise it.
  const std::string small = dir.path + "/small.png";
  const Bytes png64 = png_of_zeros(64, 64, 64 * 65);
  write_bytes(small, png64, png64.size());
  const Image black = read_image(small, 4096);
  CHECK(black.width == 64);
  CHECK(black.channels == 1);
  CHECK(black.px == std::vector<uint8_t>(64 * 64, 0));
  CHECK(error_of_limited(small, 4095).find("above the limit of 4095 pixels") != std::string::npos);
  const std::string jpg = dir.path + "/small.jpg";
  const Bytes jpeg = jpeg_of(pattern(16, 12, 3));
  write_bytes(jpg, jpeg, jpeg.size());
  CHECK(read_image(jpg, 192).width == 16);
  CHECK(error_of_limited(jpg, 191) == jpg + ": image is 16x12 (192 pixels), above the limit of 191 "
                                            "pixels (--max-pixels N raises it)");

  // The header is what read_image_file reports, before decoding.
  const ImageFile file = read_image_file(jpg);
  CHECK(file.header.format == ImageFormat::Jpeg);
  CHECK(file.header.width == 16);
  CHECK(file.header.height == 12);
  CHECK(file.header.channels == 3);
}

TEST_CASE("image data that inflates beyond its header is refused (a decompression bomb)") {
  TempDir dir("ulrseg_test_image");
  // A 1x1 PNG whose IDAT inflates to 16 MB (the file is 100 kB): stb would inflate all of it.
  const std::string path = dir.path + "/bomb.png";
  const Bytes png = png_of_zeros(1, 1, uint64_t(16) << 20);
  write_bytes(path, png, png.size());
  CHECK(error_of(path) == path + ": cannot decode image: its data inflates beyond what a 1x1 "
                                 "image needs (a decompression bomb?)");
  // A little extra data (some encoders pad) still decodes.
  const Bytes padded = png_of_zeros(1, 1, 4096);
  write_bytes(path, padded, padded.size());
  CHECK(read_image(path).px == std::vector<uint8_t>{0});
}

TEST_CASE("a JPEG of more scans than the limit is refused before decoding") {
  TempDir dir("ulrseg_test_image");
  const Bytes jpeg = jpeg_of(pattern(16, 12, 3));
  // The scan (SOS segment and its data) repeated: stb decodes every pixel once per scan.
  size_t sos = 2;
  while (sos + 1 < jpeg.size() && !(jpeg[sos] == 0xFF && jpeg[sos + 1] == 0xDA)) ++sos;
  REQUIRE(sos + 1 < jpeg.size());
  const Bytes scan(jpeg.begin() + std::ptrdiff_t(sos), jpeg.end() - 2);
  auto with_scans = [&](int scans) {
    Bytes out(jpeg.begin(), jpeg.end() - 2);
    for (int i = 1; i < scans; ++i) out.insert(out.end(), scan.begin(), scan.end());
    out.insert(out.end(), {0xFF, 0xD9});
    return out;
  };
  const std::string path = dir.path + "/scans.jpg";
  Bytes ok = with_scans(kMaxJpegScans);
  write_bytes(path, ok, ok.size());
  CHECK(read_image(path).width == 16);
  Bytes bad = with_scans(kMaxJpegScans + 1);
  write_bytes(path, bad, bad.size());
  CHECK(error_of(path) == path + ": JPEG has more than " + std::to_string(kMaxJpegScans) +
                              " scans (the limit)");
}

TEST_CASE("only regular files are read: a FIFO or a folder is refused without opening it") {
  TempDir dir("ulrseg_test_image");
  const std::string fifo = dir.path + "/a.png";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(error_of(fifo) == fifo + ": a FIFO, not an image file");  // opening it would block
  const std::string folder = dir.path + "/d.png";
  REQUIRE(::mkdir(folder.c_str(), 0700) == 0);
  CHECK(error_of(folder) == folder + ": a folder, not an image file");
}

TEST_CASE("the header gives the channels decoding will: tRNS adds alpha") {
  TempDir dir("ulrseg_test_image");
  const std::string path = dir.path + "/grey.png";
  write_png(path, pattern(5, 3, 1));
  Bytes bytes = read_file(path);
  // A tRNS chunk (grey value 7 transparent) after IHDR (8 + 25 bytes).
  Bytes trns;
  put_chunk(trns, "tRNS", {0, 7});
  bytes.insert(bytes.begin() + 33, trns.begin(), trns.end());
  write_bytes(path, bytes, bytes.size());
  const ImageFile file = read_image_file(path);
  CHECK(file.header.channels == 2);
  CHECK(file.header.bit_depth == 8);
  CHECK_FALSE(file.header.palette);
  CHECK(decode_image(file).channels == 2);
}
