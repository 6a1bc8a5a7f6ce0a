// safetensors: validation first (a weights file is user input), then plain byte copies. The
// checks mirror those of the reference implementation, so a file we accept loads in Python
// and a file Python writes loads here.
#include "engine/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/json.h"
#include "engine/printable.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; this build reads it by plain copies");

namespace ulr {

namespace {

struct DtypeInfo {
  Dtype dtype;
  const char* name;
  int size;
};

const DtypeInfo kDtypes[] = {
    {Dtype::BOOL, "BOOL", 1}, {Dtype::U8, "U8", 1},       {Dtype::I8, "I8", 1},
    {Dtype::U16, "U16", 2},   {Dtype::I16, "I16", 2},     {Dtype::F16, "F16", 2},
    {Dtype::BF16, "BF16", 2}, {Dtype::U32, "U32", 4},     {Dtype::I32, "I32", 4},
    {Dtype::F32, "F32", 4},   {Dtype::U64, "U64", 8},     {Dtype::I64, "I64", 8},
    {Dtype::F64, "F64", 8},   {Dtype::F8_E4M3, "F8_E4M3", 1}, {Dtype::F8_E5M2, "F8_E5M2", 1},
};
constexpr int kDtypeCount = int(sizeof(kDtypes) / sizeof(kDtypes[0]));
static_assert(kDtypeCount == int(Dtype::F8_E5M2) + 1, "kDtypes must list every Dtype");

constexpr uint64_t kMaxHeaderBytes = 100u * 1000u * 1000u;  // as the reference implementation
const char* const kMetadataKey = "__metadata__";

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// A name or key from the file, quoted for a message: printable, since it is untrusted.
std::string quoted(const std::string& name) { return "\"" + printable(name) + "\""; }

// A JSON number that is an integer in [0, 2^63); false otherwise.
bool as_count(const Json& v, uint64_t* out) {
  if (!v.is_number()) return false;
  double d = v.as_number();
  if (!(d >= 0 && d < 9223372036854775808.0) || std::floor(d) != d) return false;
  *out = uint64_t(d);
  return true;
}

// IEEE half (1 sign, 5 exponent, 10 mantissa bits) to float.
float half_to_float(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  int exponent = (h >> 10) & 0x1F;
  uint32_t mantissa = h & 0x3FFu;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(float(mantissa), -24);  // subnormal: mantissa * 2^-14 / 2^10
  } else if (exponent == 31) {
    magnitude = mantissa ? NAN : INFINITY;
  } else {
    magnitude = std::ldexp(float(mantissa | 0x400u), exponent - 25);
  }
  return sign ? -magnitude : magnitude;
}

float bf16_to_float(uint16_t b) {
  uint32_t bits = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// float8 e4m3 ("fn": no infinities; S.1111.111 is NaN), exponent bias 7.
float f8_e4m3_to_float(uint8_t v) {
  int exponent = (v >> 3) & 0xF;
  int mantissa = v & 0x7;
  float magnitude;
  if (exponent == 15 && mantissa == 7) magnitude = NAN;
  else if (exponent == 0) magnitude = std::ldexp(float(mantissa), -9);  // mantissa/8 * 2^-6
  else magnitude = std::ldexp(float(mantissa | 8), exponent - 10);
  return (v & 0x80) ? -magnitude : magnitude;
}

// float8 e5m2 is the top byte of an IEEE half.
float f8_e5m2_to_float(uint8_t v) { return half_to_float(uint16_t(v) << 8); }

template <class T>
T load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

const char* dtype_name(Dtype d) {
  for (const DtypeInfo& info : kDtypes)
    if (info.dtype == d) return info.name;
  return "?";
}

int dtype_size(Dtype d) {
  for (const DtypeInfo& info : kDtypes)
    if (info.dtype == d) return info.size;
  return 0;
}

bool parse_dtype(const std::string& name, Dtype* out) {
  for (const DtypeInfo& info : kDtypes)
    if (name == info.name) {
      *out = info.dtype;
      return true;
    }
  return false;
}

int64_t SafetensorsEntry::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// ---- Reader -------------------------------------------------------------------------------

namespace {

// Parses and checks one header entry; `data_size` is the length of the data section.
SafetensorsEntry parse_entry(const std::string& label, const std::string& name, const Json& v,
                             uint64_t data_size) {
  const std::string where = label + ": tensor " + quoted(name) + ": ";
  if (name.empty()) throw Error(where + "empty name");  // as the writer refuses it
  if (!v.is_object()) throw Error(where + "entry is not an object");
  for (auto& [key, value] : v.members())
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      throw Error(where + "unknown key " + quoted(key) +
                  " (expected dtype, shape, data_offsets)");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!v.has(key)) throw Error(where + "missing \"" + key + "\"");

  SafetensorsEntry e;
  e.name = name;
  const Json& dtype = v.get("dtype");
  if (!dtype.is_string()) throw Error(where + "dtype is not a string");
  if (!parse_dtype(dtype.as_string(), &e.dtype))
    throw Error(where + "unknown dtype " + quoted(dtype.as_string()));

  const Json& shape = v.get("shape");
  if (!shape.is_array()) throw Error(where + "shape is not a list of non-negative integers");
  // Element and byte counts are checked for overflow as they grow, so a dimension of 2^62
  // is an error here rather than a wrapped size or a huge allocation later.
  uint64_t numel = 1;
  bool overflow = false;
  for (const Json& d : shape.items()) {
    uint64_t dim;
    if (!as_count(d, &dim)) {
      if (d.is_number() && d.as_number() < 0)
        throw Error(where + "shape has a negative dimension " + d.dump());
      throw Error(where + "shape is not a list of non-negative integers (" + d.dump() + ")");
    }
    e.shape.push_back(int64_t(dim));
    if (__builtin_mul_overflow(numel, dim, &numel)) overflow = true;
  }
  uint64_t need = 0;
  if (overflow || numel > uint64_t(INT64_MAX) ||
      __builtin_mul_overflow(numel, uint64_t(dtype_size(e.dtype)), &need))
    throw Error(where + "shape " + shape_str(e.shape) + " has too many elements");

  const Json& offsets = v.get("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2 || !as_count(offsets.items()[0], &e.begin) ||
      !as_count(offsets.items()[1], &e.end))
    throw Error(where + "data_offsets is not a pair of non-negative integers");
  if (e.begin > e.end)
    throw Error(where + "data_offsets begin " + std::to_string(e.begin) + " is after end " +
                std::to_string(e.end));
  if (e.end > data_size)
    throw Error(where + "data_offsets end " + std::to_string(e.end) +
                " is beyond the data section (" + std::to_string(data_size) + " bytes)");
  if (e.end - e.begin != need)
    throw Error(where + "holds " + std::to_string(e.end - e.begin) + " bytes but shape " +
                shape_str(e.shape) + " of " + dtype_name(e.dtype) + " needs " +
                std::to_string(need) + " bytes");
  return e;
}

}  // namespace

SafetensorsFile SafetensorsFile::read(const std::string& path) {
  return parse(read_file(path), path);
}

SafetensorsFile SafetensorsFile::parse(std::vector<unsigned char> bytes, const std::string& label) {
  const std::string where = label + ": ";
  if (bytes.size() < 8)
    throw Error(where + "file is too short for a safetensors header (" +
                std::to_string(bytes.size()) + " bytes, need at least 8)");
  uint64_t header_len = load<uint64_t>(bytes.data());
  if (header_len > kMaxHeaderBytes)
    throw Error(where + "header length " + std::to_string(header_len) +
                " exceeds the 100 MB limit");
  if (header_len > bytes.size() - 8)
    throw Error(where + "header length " + std::to_string(header_len) +
                " runs past the end of the file (" + std::to_string(bytes.size()) + " bytes)");

  const std::string text(reinterpret_cast<const char*>(bytes.data()) + 8, size_t(header_len));
  Json header = Json::parse(text, label + ": header is not valid JSON");
  if (!header.is_object()) throw Error(where + "header is not a JSON object");

  SafetensorsFile file;
  file.label_ = label;
  const uint64_t data_size = bytes.size() - 8 - header_len;
  for (auto& [name, value] : header.members()) {
    if (name == kMetadataKey) {
      if (!value.is_object()) throw Error(where + "__metadata__ is not an object of strings");
      for (auto& [key, v] : value.members()) {
        if (!v.is_string())
          throw Error(where + "__metadata__ is not an object of strings (" + quoted(key) +
                      " is a " + (v.is_number() ? "number" : "non-string") + ")");
        file.metadata_[key] = v.as_string();
      }
      continue;
    }
    file.entries_.push_back(parse_entry(label, name, value, data_size));
  }

  // The data must be covered exactly: sorted by offsets, each tensor starts where the
  // previous one ended, the first at 0 and the last ending at the end of the file.
  std::sort(file.entries_.begin(), file.entries_.end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
              if (a.begin != b.begin) return a.begin < b.begin;
              if (a.end != b.end) return a.end < b.end;
              return a.name < b.name;
            });
  uint64_t covered = 0;
  const SafetensorsEntry* previous = nullptr;
  for (const SafetensorsEntry& e : file.entries_) {
    if (e.begin < covered)
      throw Error(where + "tensors " + quoted(previous->name) + " and " + quoted(e.name) +
                  " overlap (bytes " + std::to_string(e.begin) + ".." +
                  std::to_string(covered) + ")");
    if (e.begin > covered)
      throw Error(where + "hole of " + std::to_string(e.begin - covered) +
                  " bytes in the data before tensor " + quoted(e.name) + " (offset " +
                  std::to_string(covered) + ")");
    covered = e.end;
    previous = &e;
  }
  if (covered != data_size)
    throw Error(where + std::to_string(data_size - covered) +
                " trailing bytes after the last tensor");

  bytes.erase(bytes.begin(), bytes.begin() + 8 + std::ptrdiff_t(header_len));
  file.data_ = std::move(bytes);
  return file;
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
  for (const SafetensorsEntry& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

const unsigned char* SafetensorsFile::bytes(const SafetensorsEntry& e) const {
  return data_.data() + e.begin;
}

std::vector<double> SafetensorsFile::as_double(const SafetensorsEntry& e) const {
  const int64_t n = e.numel();
  const unsigned char* p = bytes(e);
  std::vector<double> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double v = 0;
    switch (e.dtype) {
      case Dtype::BOOL: v = p[i] != 0; break;
      case Dtype::U8: v = p[i]; break;
      case Dtype::I8: v = int8_t(p[i]); break;
      case Dtype::U16: v = load<uint16_t>(p + 2 * i); break;
      case Dtype::I16: v = load<int16_t>(p + 2 * i); break;
      case Dtype::F16: v = half_to_float(load<uint16_t>(p + 2 * i)); break;
      case Dtype::BF16: v = bf16_to_float(load<uint16_t>(p + 2 * i)); break;
      case Dtype::U32: v = load<uint32_t>(p + 4 * i); break;
      case Dtype::I32: v = load<int32_t>(p + 4 * i); break;
      case Dtype::F32: v = load<float>(p + 4 * i); break;
      case Dtype::U64: v = double(load<uint64_t>(p + 8 * i)); break;
      case Dtype::I64: v = double(load<int64_t>(p + 8 * i)); break;
      case Dtype::F64: v = load<double>(p + 8 * i); break;
      case Dtype::F8_E4M3: v = f8_e4m3_to_float(p[i]); break;
      case Dtype::F8_E5M2: v = f8_e5m2_to_float(p[i]); break;
    }
    out[size_t(i)] = v;
  }
  return out;
}

namespace {

const SafetensorsEntry& require_entry(const SafetensorsFile& f, const std::string& name) {
  const SafetensorsEntry* e = f.find(name);
  if (!e) throw Error(f.label() + ": tensor " + quoted(name) + " is absent");
  return *e;
}

void require_dtype(const SafetensorsFile& f, const SafetensorsEntry& e, Dtype want) {
  if (e.dtype != want)
    throw Error(f.label() + ": tensor " + quoted(e.name) + " has dtype " + dtype_name(e.dtype) +
                ", expected " + dtype_name(want));
}

Shape engine_shape(const SafetensorsFile& f, const SafetensorsEntry& e) {
  if (e.shape.size() > size_t(kMaxRank))
    throw Error(f.label() + ": tensor " + quoted(e.name) + " has rank " +
                std::to_string(e.shape.size()) + ", above the engine's limit of " +
                std::to_string(kMaxRank));
  return Shape(e.shape);
}

}  // namespace

Tensor SafetensorsFile::tensor(const std::string& name) const {
  const SafetensorsEntry& e = require_entry(*this, name);
  require_dtype(*this, e, Dtype::F32);
  Tensor t = Tensor::empty(engine_shape(*this, e));
  if (e.end > e.begin) std::memcpy(t.data(), bytes(e), size_t(e.end - e.begin));
  return t;
}

Tensor SafetensorsFile::tensor(const std::string& name, const Shape& expected) const {
  const SafetensorsEntry& e = require_entry(*this, name);
  if (e.shape != expected.vec())
    throw Error(label_ + ": tensor " + quoted(name) + " has shape " + shape_str(e.shape) +
                ", expected " + expected.str());
  return tensor(name);
}

IntTensor<uint8_t> SafetensorsFile::u8(const std::string& name) const {
  const SafetensorsEntry& e = require_entry(*this, name);
  require_dtype(*this, e, Dtype::U8);
  IntTensor<uint8_t> t(engine_shape(*this, e));
  if (e.end > e.begin) std::memcpy(t.data.data(), bytes(e), size_t(e.end - e.begin));
  return t;
}

std::vector<int64_t> SafetensorsFile::integers(const std::string& name) const {
  const SafetensorsEntry& e = require_entry(*this, name);
  if (e.dtype != Dtype::I32 && e.dtype != Dtype::I64)
    throw Error(label_ + ": tensor " + quoted(name) + " has dtype " + dtype_name(e.dtype) +
                ", expected I32 or I64");
  const int64_t n = e.numel();
  std::vector<int64_t> out(static_cast<size_t>(n));
  const unsigned char* p = bytes(e);
  for (int64_t i = 0; i < n; ++i)
    out[size_t(i)] = e.dtype == Dtype::I32 ? load<int32_t>(p + 4 * i) : load<int64_t>(p + 8 * i);
  return out;
}

// ---- Writer -------------------------------------------------------------------------------

void SafetensorsWriter::set_metadata(const std::string& key, const std::string& value) {
  metadata_[key] = value;
}

void SafetensorsWriter::add(const std::string& name, const Tensor& t) {
  std::vector<unsigned char> bytes(size_t(t.numel()) * sizeof(float));
  if (!bytes.empty()) std::memcpy(bytes.data(), t.data(), bytes.size());
  add_raw(name, Dtype::F32, t.shape().vec(), std::move(bytes));
}

void SafetensorsWriter::add_u8(const std::string& name, const IntTensor<uint8_t>& t) {
  add_raw(name, Dtype::U8, t.shape.vec(), std::vector<unsigned char>(t.data.begin(), t.data.end()));
}

void SafetensorsWriter::add_i64(const std::string& name, const std::vector<int64_t>& shape,
                                const std::vector<int64_t>& values) {
  std::vector<unsigned char> bytes(values.size() * sizeof(int64_t));
  if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  add_raw(name, Dtype::I64, shape, std::move(bytes));
}

void SafetensorsWriter::add_file(const SafetensorsFile& f) {
  for (const auto& [key, value] : f.metadata()) set_metadata(key, value);
  for (const SafetensorsEntry& e : f.entries())
    add_raw(e.name, e.dtype, e.shape,
            std::vector<unsigned char>(f.bytes(e), f.bytes(e) + (e.end - e.begin)));
}

void SafetensorsWriter::add_raw(const std::string& name, Dtype dtype,
                                const std::vector<int64_t>& shape,
                                std::vector<unsigned char> bytes) {
  const std::string where = "safetensors writer: tensor " + quoted(name) + ": ";
  if (name.empty() || name == kMetadataKey) throw Error(where + "reserved or empty name");
  if (items_.count(name)) throw Error(where + "added twice");
  uint64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error(where + "negative dimension in shape " + shape_str(shape));
    numel *= uint64_t(d);
  }
  if (numel * uint64_t(dtype_size(dtype)) != bytes.size())
    throw Error(where + std::to_string(bytes.size()) + " bytes for shape " + shape_str(shape) +
                " of " + dtype_name(dtype));
  items_[name] = Item{dtype, shape, std::move(bytes)};
}

std::vector<unsigned char> SafetensorsWriter::serialize() const {
  Json header = Json::object();
  if (!metadata_.empty()) {
    Json meta = Json::object();
    for (auto& [key, value] : metadata_) meta.set(key, Json(value));
    header.set(kMetadataKey, std::move(meta));
  }
  uint64_t offset = 0;
  for (auto& [name, item] : items_) {  // std::map: sorted by name
    Json shape = Json::array();
    for (int64_t d : item.shape) shape.push(Json(d));
    Json offsets = Json::array();
    offsets.push(Json(int64_t(offset))).push(Json(int64_t(offset + item.bytes.size())));
    Json entry = Json::object();
    entry.set("dtype", Json(dtype_name(item.dtype)))
        .set("shape", std::move(shape))
        .set("data_offsets", std::move(offsets));
    header.set(name, std::move(entry));
    offset += item.bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // so that the data starts 8-byte aligned

  std::vector<unsigned char> out(8 + text.size() + offset);
  const uint64_t header_len = text.size();
  std::memcpy(out.data(), &header_len, 8);
  std::memcpy(out.data() + 8, text.data(), text.size());
  unsigned char* data = out.data() + 8 + text.size();
  for (auto& [name, item] : items_) {
    if (!item.bytes.empty()) std::memcpy(data, item.bytes.data(), item.bytes.size());
    data += item.bytes.size();
  }
  return out;
}

void SafetensorsWriter::write(const std::string& path) const {
  std::vector<unsigned char> bytes = serialize();
  write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace ulr
