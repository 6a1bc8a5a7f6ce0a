// Model configuration: sizes of G (SRNet), S (SegNet) and the SAD. Stored as JSON in every
// weights file's metadata, so a file says which network it holds.
//
// Also here: the config field table. A config struct (ModelConfig below, TrainConfig in
// train/config.h) declares each key once, as one ConfigField row: its JSON name, the member it
// fills, a line of help and, for numbers, the allowed range; the default is the member's
// initialiser. The table drives from_json, to_json, `--set`, the range checks of validate and the
// key list of `ulrseg train --help`. A static_assert compares the table's row count with the
// struct's member count (member_count), so neither can gain a key without the other.
#pragma once
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "engine/error.h"
#include "engine/json.h"

namespace ulr {

// ---- enums a config holds ------------------------------------------------------------------

// The names of an enum's values, for JSON and display only: value E(i), 0 <= i < count, is
// named name(E(i)). Specialised beside each enum a config holds.
template <class E> struct EnumNames;

// The names joined: ("a", "b", "c") with ", " and " or " -> "a, b or c".
std::string join_names(const std::vector<std::string>& names, const char* separator,
                       const char* last_separator);
template <class E> std::vector<std::string> enum_names() {
  std::vector<std::string> out;
  for (int i = 0; i < EnumNames<E>::count; ++i) out.push_back(EnumNames<E>::name(E(i)));
  return out;
}

// Parses one of E's names (a JSON string); throws Error("<where>: expected a, b or c, got X").
template <class E> E parse_enum(const Json& v, const std::string& where) {
  if (v.is_string())
    for (int i = 0; i < EnumNames<E>::count; ++i)
      if (v.as_string() == EnumNames<E>::name(E(i))) return E(i);
  throw Error(where + ": expected " + join_names(enum_names<E>(), ", ", " or ") + ", got " + v.dump());
}

// What is trained and how a frame reaches S:
//   joint  ours: G + S + AFE feature loss + SAD, stage 1 (G) then stage 2 (joint)
//   fjl1   joint G + S with MSE + CE only (no AFE, no SAD)
//   mmt1   bicubic-upsampled ULR -> S only
//   hr     S on the HR views (the upper bound, and the AFE teacher)
//   pp1    bicubic-upsampled ULR -> the S of an hr model, frozen (nothing trained)
//   pp2    G trained for super-resolution alone (pixel loss) -> the S of an hr model, frozen
//   mmt2   G trained through the frozen S of an hr model (MSE + CE)
enum class Method { Joint, Fjl1, Mmt1, Hr, Pp1, Pp2, Mmt2 };
const char* method_name(Method m);
// Whether the pipeline has a G (joint, fjl1, pp2, mmt2); the others bicubic-upsample (mmt1,
// pp1) or see the HR view (hr).
bool method_has_g(Method m);
// Whether S is taken frozen from an hr model (pp1, pp2, mmt2: the config's "teacher").
bool method_uses_hr_segmenter(Method m);
// Parses a method name; throws Error("<where>: method: expected joint, fjl1, ... or mmt2, got ...").
Method parse_method(const std::string& name, const std::string& where);
template <> struct EnumNames<Method> {
  static constexpr int count = 7;
  static const char* name(Method m) { return method_name(m); }
};

// ---- the field table -----------------------------------------------------------------------

// One key of a config: JSON name, member (one of the types Types), help, allowed range. The
// range [lo, hi] applies to numbers and to each item of a list; other kinds ignore it (an enum
// allows its names, a bool true and false, a string any text).
template <class Config, class... Types>
struct ConfigField {
  const char* name;
  std::variant<Types Config::*...> member;
  const char* help;
  double lo = 0, hi = 0;
};

// The number of members of the aggregate struct T: the most initialisers T{a, b, ...} accepts,
// each `a` converting to any member's type.
namespace detail {
struct AnyMember {
  template <class T> operator T() const;
};
template <class T, class... A>
constexpr auto brace_initialisable(int) -> decltype(void(T{std::declval<A>()...}), true) { return true; }
template <class T, class... A>
constexpr bool brace_initialisable(long) { return false; }
}  // namespace detail
template <class T, class... A>
constexpr size_t member_count() {
  if constexpr (detail::brace_initialisable<T, A..., detail::AnyMember>(0))
    return member_count<T, A..., detail::AnyMember>();
  else
    return sizeof...(A);
}

// ---- the model config ----------------------------------------------------------------------

struct ModelConfig {
  int in_h = 16, in_w = 16;
  int scale = 4;
  int num_classes = 14;
  // G: stem and residual blocks at ULR size, attention, one conv -> pixel_shuffle(2) stage per
  // factor of 2 (g_up_channels[i] = channels after stage i).
  int g_channels = 48, g_blocks = 2, g_heads = 4;
  std::vector<int> g_up_channels = {24, 16, 16};
  // S: encoder widths at HR, HR/2, HR/4, HR/8; attention at HR/8.
  std::vector<int> s_channels = {16, 32, 64, 96};
  int s_heads = 4, s_groups = 4;
  // SAD: one block (conv, conv/2) per width.
  std::vector<int> d_channels = {16, 32, 64};

  int out_h() const { return in_h * scale; }
  int out_w() const { return in_w * scale; }
  int up_stages() const;  // log2(scale)

  Json to_json() const;
  // Reads a config; keys absent keep their defaults. Throws Error naming `label` and the key
  // for an unknown key or a bad value.
  static ModelConfig from_json(const Json& j, const std::string& label);
  // Throws Error("<label>: model.KEY: expected ..., got ...") for a value outside its range,
  // then Error("<label>: model config: ...") for sizes that do not fit together. Ranges come
  // first, so no check divides by a size it has not bounded.
  void validate(const std::string& label) const;
};

// The model's keys, in the order to_json writes them (that of every weights file so far). Widths
// stay at most 512 and G's blocks at most 64, so a config (or a weights file's metadata) cannot
// make the networks allocate more than about 1.6 GB of parameters before a tensor is read.
using ModelField = ConfigField<ModelConfig, int, std::vector<int>>;
inline constexpr ModelField kModelFields[] = {
    {"in_h", &ModelConfig::in_h, "ULR input height (a multiple of 4)", 4, 256},
    {"in_w", &ModelConfig::in_w, "ULR input width (a multiple of 4)", 4, 256},
    {"scale", &ModelConfig::scale, "2, 4 or 8: HR = input * scale", 2, 8},
    {"num_classes", &ModelConfig::num_classes, "segmentation classes", 2, 255},
    {"g_channels", &ModelConfig::g_channels, "G: width (a multiple of g_heads)", 4, 512},
    {"g_blocks", &ModelConfig::g_blocks, "G: residual blocks", 0, 64},
    {"g_heads", &ModelConfig::g_heads, "G: attention heads", 1, 64},
    {"g_up_channels", &ModelConfig::g_up_channels, "G: width after each x2 (log2(scale)..3)", 1, 512},
    {"s_channels", &ModelConfig::s_channels, "S: 4 widths (multiples of s_groups)", 1, 512},
    {"s_heads", &ModelConfig::s_heads, "S: attention heads (of s_channels[3])", 1, 64},
    {"s_groups", &ModelConfig::s_groups, "S: group-norm groups", 1, 64},
    {"d_channels", &ModelConfig::d_channels, "SAD: 1 to 8 block widths", 1, 512},
};
static_assert(std::size(kModelFields) == member_count<ModelConfig>(),
              "every ModelConfig member needs one row in kModelFields, and every row a member");

// ---- reading, writing and checking through a table -----------------------------------------

// Messages start "<label>: <key>: " (key with its prefix, "model.g_heads") and say what was
// expected: "expected an integer in [1, 64], got 0".
[[noreturn]] void bad_config_value(const std::string& where, const std::string& expected,
                                   const Json& got);
std::string range_text(double lo, double hi);  // "[1, 64]"

template <class T> Json value_json(const T& x) {
  if constexpr (std::is_enum_v<T>) return Json(EnumNames<T>::name(x));
  else if constexpr (std::is_same_v<T, uint64_t>) return Json(int64_t(x));
  else if constexpr (std::is_same_v<T, float>) return Json(double(x));
  else if constexpr (std::is_same_v<T, std::vector<int>>) {
    Json a = Json::array();
    for (int item : x) a.push(item);
    return a;
  } else if constexpr (std::is_class_v<T> && !std::is_same_v<T, std::string>) return x.to_json();
  else return Json(x);  // int, bool, string
}

// A number kind of value: int, uint64_t or float (not bool).
template <class T> constexpr bool is_config_number = std::is_arithmetic_v<T> && !std::is_same_v<T, bool>;
// "an integer in [1, 64]", "a number in [0, 10]".
template <class T> std::string number_text(double lo, double hi) {
  return (std::is_integral_v<T> ? "an integer in " : "a number in ") + range_text(lo, hi);
}

// Checks a number (or each item of a list) against [lo, hi]; a nested config validates itself.
template <class T>
void check_value(const T& x, const std::string& label, const std::string& key, double lo, double hi) {
  if constexpr (is_config_number<T>) {
    if (!(double(x) >= lo && double(x) <= hi))
      bad_config_value(label + ": " + key, number_text<T>(lo, hi), value_json(x));
  } else if constexpr (std::is_same_v<T, std::vector<int>>) {
    for (size_t i = 0; i < x.size(); ++i)
      check_value(x[i], label, key + "[" + std::to_string(i) + "]", lo, hi);
  } else if constexpr (std::is_class_v<T> && !std::is_same_v<T, std::string>) {
    x.validate(label);
  }
}

// Reads one JSON value into `out`, checking kind and range before any conversion.
template <class T>
void read_value(const Json& v, const std::string& label, const std::string& key, double lo, double hi,
                T& out) {
  const std::string where = label + ": " + key;
  if constexpr (std::is_enum_v<T>) {
    out = parse_enum<T>(v, where);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_bool()) bad_config_value(where, "true or false", v);
    out = v.as_bool();
  } else if constexpr (std::is_integral_v<T>) {  // int, uint64_t
    if (!v.is_integer_in(int64_t(lo), int64_t(hi))) bad_config_value(where, number_text<T>(lo, hi), v);
    out = T(v.as_int());
  } else if constexpr (std::is_same_v<T, float>) {
    // In range as the double (so the conversion is defined) and as the float it becomes.
    auto in_range = [&](double x) { return x >= lo && x <= hi; };
    if (!v.is_number() || !in_range(v.as_number()) || !in_range(float(v.as_number())))
      bad_config_value(where, number_text<T>(lo, hi), v);
    out = float(v.as_number());
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) bad_config_value(where, "a string", v);
    out = v.as_string();
  } else if constexpr (std::is_same_v<T, std::vector<int>>) {
    if (!v.is_array()) bad_config_value(where, "a list of integers in " + range_text(lo, hi), v);
    out.assign(v.size(), 0);
    for (size_t i = 0; i < v.size(); ++i)
      read_value(v.items()[i], label, key + "[" + std::to_string(i) + "]", lo, hi, out[i]);
  } else {
    out = T::from_json(v, label);  // a nested config
  }
}

// The row named `name`, or nullptr.
template <class Field, size_t N>
const Field* find_field(const Field (&table)[N], const std::string& name) {
  for (const Field& f : table)
    if (name == f.name) return &f;
  return nullptr;
}

// Every key of `c`, in table order.
template <class Config, class Field, size_t N>
Json fields_to_json(const Field (&table)[N], const Config& c) {
  Json j = Json::object();
  for (const Field& f : table)
    std::visit([&](auto Config::*m) { j.set(f.name, value_json(c.*m)); }, f.member);
  return j;
}

// Reads the members of object `j` into `c`; keys absent keep c's values. Throws Error for an
// unknown key ("<label>: unknown key '<prefix><key>'") or a bad value.
template <class Config, class Field, size_t N>
void fields_from_json(const Field (&table)[N], const Json& j, const std::string& label, const std::string& prefix,
                      Config& c) {
  for (const auto& member : j.members()) {  // not a structured binding: lambdas cannot capture one in C++17
    const std::string& key = member.first;
    const Json& v = member.second;
    const Field* f = find_field(table, key);
    if (!f) throw Error(label + ": unknown key '" + prefix + key + "'");
    std::visit([&](auto Config::*m) { read_value(v, label, prefix + key, f->lo, f->hi, c.*m); }, f->member);
  }
}

// Checks every key of `c` against its range.
template <class Config, class Field, size_t N>
void check_fields(const Field (&table)[N], const Config& c, const std::string& label, const std::string& prefix) {
  for (const Field& f : table)
    std::visit([&](auto Config::*m) { check_value(c.*m, label, prefix + f.name, f.lo, f.hi); }, f.member);
}

// One line per key for --help: "  <prefix><name>  <default>  <allowed>  <help>", the columns
// aligned; a nested config's row is left out (list its own table with its prefix).
struct KeyHelp {
  std::string key, default_value, allowed, help;
};
std::string format_key_help(const std::vector<KeyHelp>& rows);
std::string default_text(const Json& value);  // numbers as %.6g, others as JSON
template <class Config, class Field, size_t N>
void add_key_help(const Field (&table)[N], const std::string& prefix, std::vector<KeyHelp>& rows) {
  const Config defaults;
  for (const Field& f : table)
    std::visit([&](auto Config::*m) {
      using T = std::decay_t<decltype(defaults.*m)>;
      std::string allowed;
      if constexpr (std::is_enum_v<T>) allowed = join_names(enum_names<T>(), " | ", " | ");
      else if constexpr (std::is_same_v<T, bool>) allowed = "true | false";
      else if constexpr (std::is_same_v<T, std::string>) allowed = "text";
      else if constexpr (std::is_same_v<T, std::vector<int>>) allowed = "each in " + range_text(f.lo, f.hi);
      else if constexpr (std::is_arithmetic_v<T>) allowed = range_text(f.lo, f.hi);
      else return;  // a nested config
      rows.push_back({prefix + f.name, default_text(value_json(defaults.*m)), allowed, f.help});
    }, f.member);
}

}  // namespace ulr
