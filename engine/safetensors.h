// safetensors reader and writer (https://huggingface.co/docs/safetensors): 8-byte little-endian
// header length N, N bytes of JSON header (padded with spaces to a multiple of 8), then the packed
// little-endian data. The header maps each tensor name to {dtype, shape, data_offsets [begin,
// end)} relative to the data section, plus an optional "__metadata__" of string -> string.
//
// The reader validates everything (header length, JSON, keys, dtypes, shapes, offsets in range,
// byte counts matching shape x dtype, no overlaps, no holes, no trailing bytes, unique names)
// and throws ulr::Error("PATH: ...") naming the problem. It never crashes on a malformed file.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace ulr {

enum class Dtype { BOOL, U8, I8, U16, I16, F16, BF16, U32, I32, F32, U64, I64, F64, F8_E4M3, F8_E5M2 };
const char* dtype_name(Dtype d);   // "F32", ...
int dtype_size(Dtype d);           // bytes per element
bool parse_dtype(const std::string& name, Dtype* out);

struct SafetensorsEntry {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<int64_t> shape;      // rank 0 allowed (a scalar, one element)
  uint64_t begin = 0, end = 0;     // byte offsets within the data section
  int64_t numel() const;
};

class SafetensorsFile {
 public:
  // Reads and validates a whole file. Throws Error("PATH: problem").
  static SafetensorsFile read(const std::string& path);
  // Same, from bytes in memory; `label` names the source in messages.
  static SafetensorsFile parse(std::vector<unsigned char> bytes, const std::string& label);

  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }  // in offset order
  const SafetensorsEntry* find(const std::string& name) const;  // null when absent
  bool contains(const std::string& name) const { return find(name) != nullptr; }

  // Raw little-endian bytes of a tensor.
  const unsigned char* bytes(const SafetensorsEntry& e) const;
  // Values of any numeric dtype converted to double (for inspect's min/max/mean).
  std::vector<double> as_double(const SafetensorsEntry& e) const;
  // An F32 tensor as an engine Tensor. Throws Error naming the file, the tensor and the problem
  // (absent, not F32, or `expected` shape differs, when given).
  Tensor tensor(const std::string& name) const;
  Tensor tensor(const std::string& name, const Shape& expected) const;
  // A U8 tensor (e.g. labels).
  IntTensor<uint8_t> u8(const std::string& name) const;
  // An I32 or I64 tensor as int64 values.
  std::vector<int64_t> integers(const std::string& name) const;

  const std::string& label() const { return label_; }

 private:
  std::string label_;
  std::vector<unsigned char> data_;  // the data section
  std::map<std::string, std::string> metadata_;
  std::vector<SafetensorsEntry> entries_;
};

// Collects tensors and metadata, then writes one file atomically (temp, fsync, rename).
// Tensors are laid out sorted by name, so the same content always gives the same bytes.
class SafetensorsWriter {
 public:
  void set_metadata(const std::string& key, const std::string& value);
  void add(const std::string& name, const Tensor& t);                    // F32
  void add_u8(const std::string& name, const IntTensor<uint8_t>& t);     // U8
  void add_i64(const std::string& name, const std::vector<int64_t>& shape,
               const std::vector<int64_t>& values);                      // I64
  void add_raw(const std::string& name, Dtype dtype, const std::vector<int64_t>& shape,
               std::vector<unsigned char> bytes);                        // any dtype
  void add_file(const SafetensorsFile& f);  // every tensor and metadata entry of f, as they are
  std::vector<unsigned char> serialize() const;
  void write(const std::string& path) const;  // atomic

 private:
  struct Item {
    Dtype dtype;
    std::vector<int64_t> shape;
    std::vector<unsigned char> bytes;
  };
  std::map<std::string, Item> items_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace ulr
