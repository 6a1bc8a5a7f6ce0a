#include "models/config.h"

#include <algorithm>
#include <cstdio>

#include "engine/error.h"

namespace ulr {

const char* method_name(Method m) {
  switch (m) {
    case Method::Joint: return "joint";
    case Method::Fjl1: return "fjl1";
    case Method::Mmt1: return "mmt1";
    case Method::Hr: return "hr";
    case Method::Pp1: return "pp1";
    case Method::Pp2: return "pp2";
    case Method::Mmt2: return "mmt2";
  }
  return "?";
}

bool method_has_g(Method m) {
  return m == Method::Joint || m == Method::Fjl1 || m == Method::Pp2 || m == Method::Mmt2;
}

bool method_uses_hr_segmenter(Method m) { return m == Method::Pp1 || m == Method::Pp2 || m == Method::Mmt2; }

Method parse_method(const std::string& s, const std::string& where) {
  return parse_enum<Method>(Json(s), where + ": method");
}

std::string join_names(const std::vector<std::string>& names, const char* separator,
                       const char* last_separator) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += i + 1 == names.size() ? last_separator : separator;
    out += names[i];
  }
  return out;
}

// ---- the field table -----------------------------------------------------------------------

void bad_config_value(const std::string& where, const std::string& expected, const Json& got) {
  throw Error(where + ": expected " + expected + ", got " + got.dump());
}

std::string range_text(double lo, double hi) { return "[" + Json(lo).dump() + ", " + Json(hi).dump() + "]"; }

std::string default_text(const Json& value) {
  if (!value.is_number()) return value.dump();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value.as_number());  // a float's 0.001, not 0.0010000000474974513
  return buf;
}

std::string format_key_help(const std::vector<KeyHelp>& rows) {
  size_t key_width = 0, default_width = 0, allowed_width = 0;
  for (const KeyHelp& r : rows) {
    key_width = std::max(key_width, r.key.size());
    default_width = std::max(default_width, r.default_value.size());
    allowed_width = std::max(allowed_width, r.allowed.size());
  }
  std::string out;
  for (const KeyHelp& r : rows) {
    auto column = [&](const std::string& text, size_t width) {
      out += text + std::string(width - text.size() + 2, ' ');
    };
    out += "  ";
    column(r.key, key_width);
    column(r.default_value, default_width);
    column(r.allowed, allowed_width);
    out += r.help + "\n";
  }
  return out;
}

// ---- the model config ----------------------------------------------------------------------

int ModelConfig::up_stages() const {
  int n = 0;
  for (int s = scale; s > 1; s >>= 1) ++n;
  return n;
}

Json ModelConfig::to_json() const { return fields_to_json(kModelFields, *this); }

ModelConfig ModelConfig::from_json(const Json& j, const std::string& label) {
  if (!j.is_object()) throw Error(label + ": model config must be an object");
  ModelConfig c;
  fields_from_json(kModelFields, j, label, "model.", c);
  c.validate(label);
  return c;
}

void ModelConfig::validate(const std::string& label) const {
  check_fields(kModelFields, *this, label, "model.");
  auto bad = [&](const std::string& what) { throw Error(label + ": model config: " + what); };
  if (in_h % 4 || in_w % 4) bad("in_h and in_w must be multiples of 4");
  if (scale != 2 && scale != 4 && scale != 8) bad("scale must be 2, 4 or 8");
  if (g_channels % g_heads)
    bad("g_channels (" + std::to_string(g_channels) + ") must be divisible by g_heads (" +
        std::to_string(g_heads) + ")");
  if (int(g_up_channels.size()) < up_stages() || g_up_channels.size() > 3)
    bad("g_up_channels needs one width per factor of 2 of scale (at most 3)");
  if (s_channels.size() != 4) bad("s_channels needs 4 widths");
  for (int c : s_channels)
    if (c % s_groups) bad("s_channels must be multiples of s_groups (" + std::to_string(s_groups) + ")");
  if (s_channels[3] % s_heads) bad("s_channels[3] must be divisible by s_heads (" + std::to_string(s_heads) + ")");
  if ((out_h() % 8) || (out_w() % 8)) bad("HR size (in * scale) must be a multiple of 8");
  if (d_channels.empty() || d_channels.size() > 8) bad("d_channels needs 1 to 8 widths");
}

}  // namespace ulr
