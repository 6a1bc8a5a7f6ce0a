// Fuzz targets: each takes any bytes and either rejects them (the reader throws ulr::Error,
// which is the right answer to bad input and is caught here) or accepts them, and then checks a
// property of what it read. Anything that escapes a target is a finding: a broken property
// (FuzzFailure), an Error from a step that must succeed once the input was accepted, or a crash.
// The libFuzzer programs (fuzz_main.cpp, built with -DULRSEG_FUZZ=ON) and the regression test
// (tests/test_fuzz_regressions.cpp, part of the normal suite) call these same functions.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/folder.h"
#include "engine/error.h"
#include "engine/image.h"
#include "engine/json.h"
#include "engine/safetensors.h"
#include "models/config.h"
#include "models/ulrnet.h"

namespace ulr::fuzz {

struct FuzzFailure : std::logic_error {
  using std::logic_error::logic_error;
};

inline void require(bool ok, const std::string& what) {
  if (!ok) throw FuzzFailure(what);
}

// A file of this process under $TMPDIR (or /tmp), removed when this goes out of scope: the
// readers of images and weights take a path. Plain writes (no fsync): one per fuzz input.
class TempFile {
 public:
  explicit TempFile(const std::string& suffix) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/ulrseg_fuzz_" + std::to_string(getpid()) +
            suffix;
  }
  TempFile(const uint8_t* data, size_t size, const std::string& suffix) : TempFile(suffix) {
    FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f) throw std::runtime_error(path_ + ": cannot create the fuzz input file");
    const bool ok = size == 0 || std::fwrite(data, 1, size, f) == size;
    if (std::fclose(f) != 0 || !ok) throw std::runtime_error(path_ + ": cannot write");
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Equal JSON values: same types, numbers equal as doubles (so -0 equals 0), strings equal,
// array items and object members (in order) equal.
inline bool same_json(const Json& a, const Json& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Json::Type::Null: return true;
    case Json::Type::Bool: return a.as_bool() == b.as_bool();
    case Json::Type::Number: return a.as_number() == b.as_number();
    case Json::Type::String: return a.as_string() == b.as_string();
    case Json::Type::Array:
      return a.size() == b.size() &&
             std::equal(a.items().begin(), a.items().end(), b.items().begin(), same_json);
    case Json::Type::Object:
      return a.size() == b.size() &&
             std::equal(a.members().begin(), a.members().end(), b.members().begin(),
                        [](const auto& x, const auto& y) {
                          return x.first == y.first && same_json(x.second, y.second);
                        });
  }
  return false;
}

inline std::string text_of(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A safetensors file the reader accepts, written back by the writer, reads back with the same
// metadata, tensor names, dtypes, shapes and bytes.
inline void fuzz_safetensors(const uint8_t* data, size_t size) {
  SafetensorsFile file;
  try {
    file = SafetensorsFile::parse(std::vector<unsigned char>(data, data + size), "input");
  } catch (const Error&) {
    return;
  }
  SafetensorsWriter writer;
  writer.add_file(file);
  const SafetensorsFile back = SafetensorsFile::parse(writer.serialize(), "written back");
  require(back.metadata() == file.metadata(), "metadata differs after writing back");
  require(back.entries().size() == file.entries().size(),
          "tensor count differs after writing back");
  for (const SafetensorsEntry& e : file.entries()) {
    const SafetensorsEntry* b = back.find(e.name);
    require(b && b->dtype == e.dtype && b->shape == e.shape,
            "tensor \"" + e.name + "\" lost or changed dtype or shape after writing back");
    require(std::equal(file.bytes(e), file.bytes(e) + (e.end - e.begin), back.bytes(*b)),
            "tensor \"" + e.name + "\" holds other bytes after writing back");
  }
}

// Text the JSON parser accepts reads back equal from its compact and its pretty dump.
inline void fuzz_json(const uint8_t* data, size_t size) {
  Json value;
  try {
    value = Json::parse(text_of(data, size), "input");
  } catch (const Error&) {
    return;
  }
  for (int indent : {-1, 2}) {
    const std::string text = value.dump(indent);
    require(same_json(Json::parse(text, "dumped"), value),
            "dump does not read back equal: " + text);
  }
}

// An image the reader decodes is well formed, converts to a (3,H,W) tensor, and written as PNG
// reads back with the same pixels (up to 64 KB of pixels: under the sanitizers, encoding a large
// image would take longer than decoding it, and a slow input must point at the decoder).
inline void fuzz_image(const uint8_t* data, size_t size) {
  const TempFile file(data, size, ".image");
  Image img;
  try {
    img = read_image(file.path());
  } catch (const Error&) {
    return;
  }
  require(img.width > 0 && img.height > 0 && img.channels >= 1 && img.channels <= 4 &&
              img.px.size() == size_t(img.width) * size_t(img.height) * size_t(img.channels),
          "decoded image is malformed");
  require(image_to_tensor(img).shape() == Shape({3, img.height, img.width}),
          "image_to_tensor gives the wrong shape");
  if (img.px.size() > (size_t(1) << 16)) return;
  const TempFile png(".png");
  write_png(png.path(), img);
  const Image back = read_image(png.path());
  require(back.width == img.width && back.height == img.height &&
              back.channels == img.channels && back.px == img.px,
          "PNG written from a decoded image reads back different");
}

// A dataset.json the folder reader accepts gives the same manifest when its to_json() is read.
inline void fuzz_manifest(const uint8_t* data, size_t size) {
  FolderManifest manifest;
  try {
    manifest = parse_manifest(Json::parse(text_of(data, size), "dataset.json"), "dataset.json");
  } catch (const Error&) {
    return;
  }
  const FolderManifest back = parse_manifest(manifest.to_json(), "written back");
  require(back.classes == manifest.classes && back.ignore_index == manifest.ignore_index &&
              back.splits == manifest.splits,
          "manifest differs after to_json: " + manifest.to_json().dump());
}

// A model config that from_json and validate accept keeps every value it was given, and its
// to_json() reads back to the same config.
inline void fuzz_model_config(const uint8_t* data, size_t size) {
  Json given;
  ModelConfig config;
  try {
    given = Json::parse(text_of(data, size), "model");
    config = ModelConfig::from_json(given, "model");
    config.validate("model");
  } catch (const Error&) {
    return;
  }
  const Json kept = config.to_json();
  for (const auto& [key, value] : given.members())
    require(same_json(kept.get(key), value),
            "model." + key + " is " + value.dump() + " but the config holds " +
                kept.get(key).dump());
  const Json again = ModelConfig::from_json(kept, "written back").to_json();
  require(same_json(again, kept), "to_json reads back as " + again.dump() + ", not " + kept.dump());
}

// A weights file the loader accepts (as Segmenter loads one) gives a model whose every
// parameter and buffer holds the file's values.
inline void fuzz_weights(const uint8_t* data, size_t size) {
  const TempFile file(data, size, ".safetensors");
  std::unique_ptr<ULRNet> net;
  try {
    net = ULRNet::load(file.path());
  } catch (const Error&) {
    return;
  }
  const SafetensorsFile weights = SafetensorsFile::read(file.path());
  std::vector<const ParamStore*> stores = {&net->s().params()};
  if (net->has_g()) stores.push_back(&net->g().params());
  for (const ParamStore* store : stores)
    for (const NamedTensor& p : store->all()) {
      const Tensor t = weights.tensor(p.name);
      require(std::equal(t.data(), t.data() + t.numel(), p.tensor.data(),
                         [](float a, float b) { return std::memcmp(&a, &b, 4) == 0; }),
              "model tensor \"" + p.name + "\" differs from the file's");
    }
}

struct Target {
  const char* name;  // its folders: tests/fuzz/corpus/NAME, regressions/NAME, pending/NAME
  void (*run)(const uint8_t* data, size_t size);
};

inline const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"safetensors", fuzz_safetensors}, {"json", fuzz_json},
      {"image", fuzz_image},             {"manifest", fuzz_manifest},
      {"model_config", fuzz_model_config}, {"weights", fuzz_weights},
  };
  return all;
}

}  // namespace ulr::fuzz
