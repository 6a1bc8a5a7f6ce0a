// Image I/O: lossless PNG round trips, tensor conversion, and damaged or foreign files rejected
// with a message naming the file (never a crash).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include <stb_image_write.h>

#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/image.h"

using namespace ulr;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/ulrseg_test_image_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

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

std::string error_of(const std::string& path) {
  try {
    read_image(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void append(void* ctx, void* data, int size) {
  auto* v = static_cast<std::vector<unsigned char>*>(ctx);
  v->insert(v->end(), static_cast<unsigned char*>(data), static_cast<unsigned char*>(data) + size);
}

}  // namespace

TEST_CASE("PNG write then read is lossless for 1, 3 and 4 channels") {
  TempDir dir;
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
  TempDir dir;
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
  CHECK(msg.find(text + ": cannot decode image: ") == 0);

  CHECK_THROWS_AS(write_png(dir.path + "/bad.png", Image(0, 3, 3)), Error);
  CHECK_THROWS_AS(write_png(dir.path + "/no_such_dir/x.png", pattern(2, 2, 3)), Error);
}

TEST_CASE("every truncation of a PNG is an error, never a crash") {
  TempDir dir;
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
  TempDir dir;
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
