// safetensors: round trips, byte-stable writing, and a catalogue of malformed files, each
// rejected with a message that names the problem.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/safetensors.h"

using namespace ulr;

namespace {

using Bytes = std::vector<unsigned char>;

// A file from a header text and a data section; the header is used as given (no padding).
Bytes make_file(const std::string& header, const Bytes& data, uint64_t header_len) {
  Bytes out(8 + header.size() + data.size());
  std::memcpy(out.data(), &header_len, 8);
  std::copy(header.begin(), header.end(), out.begin() + 8);
  std::copy(data.begin(), data.end(), out.begin() + 8 + std::ptrdiff_t(header.size()));
  return out;
}
Bytes make_file(const std::string& header, const Bytes& data) {
  return make_file(header, data, header.size());
}

std::string parse_error(const Bytes& bytes) {
  try {
    SafetensorsFile::parse(bytes, "w.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A header entry for a tensor.
std::string entry(const std::string& name, const std::string& dtype, const std::string& shape,
                  const std::string& offsets) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":" + offsets + "}";
}

std::string temp_path(const char* name) {
  return std::string("/tmp/ulrseg_test_safetensors_") + name;
}

}  // namespace

TEST_CASE("safetensors round trip: F32, U8, I64, rank 0, empty, metadata") {
  SafetensorsWriter w;
  w.set_metadata("format", "ulrseg");
  w.set_metadata("config", R"({"channels":32})");
  Tensor weight = Tensor::from_vector({2, 3}, {1.5f, -2.0f, 0.25f, 3.0f, -0.0f, 1e-30f});
  w.add("g.stem.weight", weight);
  w.add("scalar", Tensor::from_vector(Shape{}, {7.5f}));
  w.add("empty", Tensor::zeros({0, 4}));
  IntTensor<uint8_t> labels(Shape{2, 2});
  labels.data = {0, 3, 255, 7};
  w.add_u8("labels", labels);
  w.add_i64("steps", {3}, {-1, 0, int64_t(1) << 40});

  const std::string path = temp_path("roundtrip.safetensors");
  w.write(path);
  SafetensorsFile f = SafetensorsFile::read(path);
  CHECK(f.label() == path);
  CHECK(f.metadata().at("format") == "ulrseg");
  CHECK(f.metadata().at("config") == R"({"channels":32})");
  REQUIRE(f.entries().size() == 5);
  // Laid out by name.
  const char* order[] = {"empty", "g.stem.weight", "labels", "scalar", "steps"};
  for (int i = 0; i < 5; ++i) CHECK(f.entries()[size_t(i)].name == order[i]);

  Tensor back = f.tensor("g.stem.weight", Shape{2, 3});
  CHECK(back.shape() == Shape({2, 3}));
  CHECK(back.to_vector() == weight.to_vector());
  Tensor scalar = f.tensor("scalar");
  CHECK(scalar.rank() == 0);
  CHECK(scalar.item() == 7.5f);
  const SafetensorsEntry* s = f.find("scalar");
  REQUIRE(s != nullptr);
  CHECK(s->end - s->begin == 4);
  CHECK(s->numel() == 1);
  Tensor empty = f.tensor("empty");
  CHECK(empty.shape() == Shape({0, 4}));
  CHECK(f.find("empty")->begin == f.find("empty")->end);
  IntTensor<uint8_t> lb = f.u8("labels");
  CHECK(lb.shape == Shape({2, 2}));
  CHECK(lb.data == labels.data);
  CHECK(f.integers("steps") == std::vector<int64_t>{-1, 0, int64_t(1) << 40});
  CHECK(f.as_double(*f.find("labels")) == std::vector<double>{0, 3, 255, 7});

  // Re-writing what was read gives the same bytes.
  SafetensorsWriter again;
  again.add_file(f);
  CHECK(again.serialize() == read_file(path));
  CHECK(w.serialize() == read_file(path));
  std::remove(path.c_str());
}

TEST_CASE("safetensors writer layout: metadata first, sorted, packed, padded") {
  SafetensorsWriter w;
  w.add("b", Tensor::from_vector({1}, {2.0f}));
  w.add("a", Tensor::from_vector({2}, {1.0f, 3.0f}));
  w.set_metadata("k", "v");
  Bytes bytes = w.serialize();
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  CHECK(n % 8 == 0);
  std::string header(bytes.begin() + 8, bytes.begin() + 8 + std::ptrdiff_t(n));
  const std::string compact =
      R"({"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  CHECK(header.substr(0, compact.size()) == compact);
  CHECK(header.find_first_not_of(' ', compact.size()) == std::string::npos);
  CHECK(bytes.size() == 8 + n + 12);
  float a1;
  std::memcpy(&a1, bytes.data() + 8 + n + 4, 4);
  CHECK(a1 == 3.0f);
}

TEST_CASE("safetensors reads every dtype as double") {
  auto one = [](Dtype d, Bytes raw) {
    SafetensorsWriter w;
    w.add_raw("x", d, {int64_t(raw.size()) / dtype_size(d)}, raw);
    SafetensorsFile f = SafetensorsFile::parse(w.serialize(), "mem");
    return f.as_double(f.entries()[0]);
  };
  CHECK(one(Dtype::BOOL, {0, 1}) == std::vector<double>{0, 1});
  CHECK(one(Dtype::I8, {0xFF, 0x7F}) == std::vector<double>{-1, 127});
  CHECK(one(Dtype::U16, {0xFF, 0xFF}) == std::vector<double>{65535});
  CHECK(one(Dtype::I16, {0x00, 0x80}) == std::vector<double>{-32768});
  // F16: 1.0 = 0x3C00, -2.0 = 0xC000, smallest subnormal 0x0001 = 2^-24, 65504 = 0x7BFF.
  CHECK(one(Dtype::F16, {0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0xFF, 0x7B}) ==
        std::vector<double>{1.0, -2.0, std::ldexp(1.0, -24), 65504.0});
  // BF16: 1.0 = 0x3F80, -0.5 = 0xBF00.
  CHECK(one(Dtype::BF16, {0x80, 0x3F, 0x00, 0xBF}) == std::vector<double>{1.0, -0.5});
  CHECK(one(Dtype::U32, {0xFF, 0xFF, 0xFF, 0xFF}) == std::vector<double>{4294967295.0});
  CHECK(one(Dtype::I32, {0xFE, 0xFF, 0xFF, 0xFF}) == std::vector<double>{-2});
  CHECK(one(Dtype::U64, {1, 0, 0, 0, 0, 0, 0, 0}) == std::vector<double>{1});
  CHECK(one(Dtype::F64, {0, 0, 0, 0, 0, 0, 0xF0, 0x3F}) == std::vector<double>{1.0});
  // F8 E4M3: 0x38 = 1.0, 0x7E = 448 (max), 0x01 = 2^-9, 0xC0 = -2.0.
  CHECK(one(Dtype::F8_E4M3, {0x38, 0x7E, 0x01, 0xC0}) ==
        std::vector<double>{1.0, 448.0, std::ldexp(1.0, -9), -2.0});
  // F8 E5M2: 0x3C = 1.0, 0x7B = 57344 (max), 0xC0 = -2.0.
  CHECK(one(Dtype::F8_E5M2, {0x3C, 0x7B, 0xC0}) == std::vector<double>{1.0, 57344.0, -2.0});
}

TEST_CASE("safetensors accessors name the tensor and the problem") {
  SafetensorsWriter w;
  w.add("g.stem.weight", Tensor::zeros({48, 3, 3, 3}));
  w.add_raw("half", Dtype::F16, {2}, Bytes(4, 0));
  SafetensorsFile f = SafetensorsFile::parse(w.serialize(), "weights/x.safetensors");
  CHECK_THROWS_WITH_AS(f.tensor("g.head.bias"),
                       "weights/x.safetensors: tensor \"g.head.bias\" is absent", Error);
  CHECK_THROWS_WITH_AS(f.tensor("half"),
                       "weights/x.safetensors: tensor \"half\" has dtype F16, expected F32", Error);
  CHECK_THROWS_WITH_AS(
      f.tensor("g.stem.weight", Shape{32, 3, 3, 3}),
      "weights/x.safetensors: tensor \"g.stem.weight\" has shape [48,3,3,3], expected [32,3,3,3]",
      Error);
  CHECK_THROWS_WITH_AS(f.u8("half"),
                       "weights/x.safetensors: tensor \"half\" has dtype F16, expected U8", Error);
  CHECK_THROWS_WITH_AS(f.integers("half"),
                       "weights/x.safetensors: tensor \"half\" has dtype F16, expected I32 or I64",
                       Error);
  CHECK_FALSE(f.contains("nope"));
  CHECK_THROWS_WITH_AS(SafetensorsFile::read("/nonexistent/dir/w.safetensors"),
                       doctest::Contains("/nonexistent/dir/w.safetensors: cannot open"), Error);
}

TEST_CASE("safetensors rejects malformed files with a specific message") {
  const Bytes data8(8, 0);
  const std::string good = "{" + entry("a", "F32", "[2]", "[0,8]") + "}";
  REQUIRE(parse_error(make_file(good, data8)) == "");

  struct Case {
    const char* what;
    Bytes bytes;
    const char* message;
  };
  const Case cases[] = {
      {"shorter than 8 bytes", Bytes{1, 2, 3},
       "w.safetensors: file is too short for a safetensors header (3 bytes, need at least 8)"},
      {"absurd header length", make_file(good, data8, uint64_t(1) << 62),
       "w.safetensors: header length 4611686018427387904 exceeds the 100 MB limit"},
      {"header length past the end", make_file(good, data8, 1000),
       "w.safetensors: header length 1000 runs past the end of the file"},
      {"truncated header", make_file(good.substr(0, 20), {}),
       "w.safetensors: header is not valid JSON: line 1 col 21: expected a string key, got end "
       "of input"},
      {"not JSON", make_file("not json", data8),
       "w.safetensors: header is not valid JSON: line 1 col 1: unexpected 'n'"},
      {"not an object", make_file("[1,2]   ", {}), "w.safetensors: header is not a JSON object"},
      {"entry not an object", make_file(R"({"a":[1]})", {}),
       "w.safetensors: tensor \"a\": entry is not an object"},
      {"missing dtype", make_file(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", data8),
       "w.safetensors: tensor \"a\": missing \"dtype\""},
      {"missing shape", make_file(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", data8),
       "w.safetensors: tensor \"a\": missing \"shape\""},
      {"missing data_offsets", make_file(R"({"a":{"dtype":"F32","shape":[2]}})", data8),
       "w.safetensors: tensor \"a\": missing \"data_offsets\""},
      {"unknown key",
       make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", data8),
       "w.safetensors: tensor \"a\": unknown key \"x\""},
      {"unknown dtype", make_file("{" + entry("a", "F99", "[2]", "[0,8]") + "}", data8),
       "w.safetensors: tensor \"a\": unknown dtype \"F99\""},
      {"shape not a list", make_file("{" + entry("a", "F32", "2", "[0,8]") + "}", data8),
       "w.safetensors: tensor \"a\": shape is not a list of non-negative integers"},
      {"fractional dim", make_file("{" + entry("a", "F32", "[2.5]", "[0,8]") + "}", data8),
       "w.safetensors: tensor \"a\": shape is not a list of non-negative integers (2.5)"},
      {"negative dim", make_file("{" + entry("a", "F32", "[-2]", "[0,8]") + "}", data8),
       "w.safetensors: tensor \"a\": shape has a negative dimension -2"},
      {"huge dims overflow",
       make_file("{" + entry("a", "F32", "[4294967296,4294967296,4]", "[0,8]") + "}", data8),
       "w.safetensors: tensor \"a\": shape [4294967296,4294967296,4] has too many elements"},
      {"huge dim times dtype size overflows",
       make_file("{" + entry("a", "F64", "[4611686018427387904]", "[0,8]") + "}", data8),
       "has too many elements"},
      {"huge dim that fits int64",
       make_file("{" + entry("a", "F32", "[1000000000000]", "[0,8]") + "}", data8),
       "w.safetensors: tensor \"a\": holds 8 bytes but shape [1000000000000] of F32 needs "
       "4000000000000 bytes"},
      {"offsets not a pair", make_file("{" + entry("a", "F32", "[2]", "[0]") + "}", data8),
       "w.safetensors: tensor \"a\": data_offsets is not a pair of non-negative integers"},
      {"negative offset", make_file("{" + entry("a", "F32", "[2]", "[-8,0]") + "}", data8),
       "data_offsets is not a pair of non-negative integers"},
      {"begin after end", make_file("{" + entry("a", "F32", "[0]", "[8,0]") + "}", data8),
       "w.safetensors: tensor \"a\": data_offsets begin 8 is after end 0"},
      {"offsets out of range", make_file("{" + entry("a", "F32", "[4]", "[0,16]") + "}", data8),
       "w.safetensors: tensor \"a\": data_offsets end 16 is beyond the data section (8 bytes)"},
      {"shape/offset mismatch", make_file("{" + entry("a", "F32", "[3]", "[0,8]") + "}", data8),
       "w.safetensors: tensor \"a\": holds 8 bytes but shape [3] of F32 needs 12 bytes"},
      {"overlapping tensors",
       make_file("{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[1]", "[4,8]") +
                     "}",
                 data8),
       "w.safetensors: tensors \"a\" and \"b\" overlap"},
      {"hole between tensors",
       make_file("{" + entry("a", "F32", "[1]", "[0,4]") + "," +
                     entry("b", "F32", "[1]", "[8,12]") + "}",
                 Bytes(12, 0)),
       "w.safetensors: hole of 4 bytes in the data before tensor \"b\" (offset 4)"},
      {"hole at the start", make_file("{" + entry("a", "F32", "[1]", "[4,8]") + "}", data8),
       "w.safetensors: hole of 4 bytes in the data before tensor \"a\" (offset 0)"},
      {"trailing bytes", make_file("{" + entry("a", "F32", "[1]", "[0,4]") + "}", data8),
       "w.safetensors: 4 trailing bytes after the last tensor"},
      {"duplicate names",
       make_file("{" + entry("a", "F32", "[1]", "[0,4]") + "," + entry("a", "F32", "[1]", "[4,8]") +
                     "}",
                 data8),
       "w.safetensors: header is not valid JSON: line 1 col 55: duplicate key \"a\""},
      {"metadata not an object", make_file(R"({"__metadata__":[1]})", {}),
       "w.safetensors: __metadata__ is not an object of strings"},
      {"metadata value not a string", make_file(R"({"__metadata__":{"epoch":3}})", {}),
       "w.safetensors: __metadata__ is not an object of strings (\"epoch\" is a number)"},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.what));
    std::string message = parse_error(c.bytes);
    INFO("message: " << message);
    CHECK(message.find(c.message) != std::string::npos);
  }
}

TEST_CASE("safetensors accepts files written elsewhere: empty header, unpadded, empty tensors") {
  // No tensors at all.
  SafetensorsFile none = SafetensorsFile::parse(make_file("{}", {}), "mem");
  CHECK(none.entries().empty());
  // An empty tensor may sit anywhere, including between two others at the same offset.
  std::string header = "{" + entry("a", "F32", "[1]", "[0,4]") + "," +
                       entry("e", "F32", "[0,3]", "[4,4]") + "," +
                       entry("z", "U8", "[]", "[4,5]") + "}";
  SafetensorsFile f = SafetensorsFile::parse(make_file(header, Bytes{0, 0, 128, 63, 9}), "mem");
  REQUIRE(f.entries().size() == 3);
  CHECK(f.tensor("a").item() == 1.0f);
  CHECK(f.tensor("e").numel() == 0);
  CHECK(f.u8("z").data == std::vector<uint8_t>{9});
}

TEST_CASE("safetensors writer rejects inconsistent input") {
  SafetensorsWriter w;
  CHECK_THROWS_WITH_AS(w.add_raw("x", Dtype::F32, {3}, Bytes(8)),
                       doctest::Contains("8 bytes for shape [3] of F32"), Error);
  w.add("x", Tensor::zeros({1}));
  CHECK_THROWS_WITH_AS(w.add("x", Tensor::zeros({1})), doctest::Contains("added twice"), Error);
  CHECK_THROWS_AS(w.add("__metadata__", Tensor::zeros({1})), Error);
}

TEST_CASE("safetensors messages show names from the file as printable text") {
  // A tensor name and a dtype holding ESC [31m (JSON-escaped in the header): the message
  // carries the visible escape \x1b, never the raw byte that would recolour a terminal.
  const std::string name = "a\\u001b[31m";
  CHECK(parse_error(make_file("{" + entry(name, "F32", "[3]", "[0,8]") + "}", Bytes(8, 0))) ==
        "w.safetensors: tensor \"a\\x1b[31m\": holds 8 bytes but shape [3] of F32 needs 12 bytes");
  CHECK(parse_error(make_file("{" + entry("b", "F\\u009b32", "[2]", "[0,8]") + "}", Bytes(8, 0))) ==
        "w.safetensors: tensor \"b\": unknown dtype \"F\\u009b32\"");
  const SafetensorsFile f = SafetensorsFile::parse(
      make_file("{" + entry(name, "U8", "[8]", "[0,8]") + "}", Bytes(8, 0)), "w.safetensors");
  CHECK_THROWS_WITH_AS(f.tensor("a\x1b[31m"),
                       "w.safetensors: tensor \"a\\x1b[31m\" has dtype U8, expected F32", Error);
}

TEST_CASE("safetensors: a tensor above the engine's rank is refused when read") {
  const SafetensorsFile f = SafetensorsFile::parse(
      make_file("{" + entry("deep", "F32", "[1,1,1,1,1,1]", "[0,4]") + "}", Bytes(4, 0)), "w.safetensors");
  CHECK_THROWS_WITH_AS(f.tensor("deep"),
                       "w.safetensors: tensor \"deep\" has rank 6, above the engine's limit of 5", Error);
}

TEST_CASE("a folder is not read as a file; regular_file_size names what a path is instead") {
  const std::string dir = "/tmp/ulrseg_test_fifo_" + std::to_string(::getpid());
  make_dirs(dir);
  const std::string fifo = dir + "/w.safetensors";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH_AS(SafetensorsFile::read(dir), (dir + ": a folder, not a file").c_str(), Error);
  // Checked before anything opens the FIFO (opening it would wait for a writer).
  CHECK_THROWS_WITH_AS(regular_file_size(fifo, "a weights file"), (fifo + ": a FIFO, not a weights file").c_str(), Error);
  CHECK_THROWS_WITH_AS(regular_file_size(dir), (dir + ": a folder, not a regular file").c_str(), Error);
  std::remove(fifo.c_str());
  ::rmdir(dir.c_str());
}
