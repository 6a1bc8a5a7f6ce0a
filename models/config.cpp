#include "models/config.h"

#include "engine/error.h"

namespace ulr {

const char* method_name(Method m) {
  switch (m) {
    case Method::Joint: return "joint";
    case Method::Fjl1: return "fjl1";
    case Method::Mmt1: return "mmt1";
    case Method::Hr: return "hr";
  }
  return "?";
}

Method parse_method(const std::string& s, const std::string& where) {
  for (Method m : {Method::Joint, Method::Fjl1, Method::Mmt1, Method::Hr})
    if (s == method_name(m)) return m;
  throw Error(where + ": method '" + s + "' is not one of joint, fjl1, mmt1, hr");
}

int ModelConfig::up_stages() const {
  int n = 0;
  for (int s = scale; s > 1; s >>= 1) ++n;
  return n;
}

static Json int_array(const std::vector<int>& v) {
  Json a = Json::array();
  for (int x : v) a.push(x);
  return a;
}

Json ModelConfig::to_json() const {
  Json j = Json::object();
  j.set("in_h", in_h).set("in_w", in_w).set("scale", scale).set("num_classes", num_classes);
  j.set("g_channels", g_channels).set("g_blocks", g_blocks).set("g_heads", g_heads);
  j.set("g_up_channels", int_array(g_up_channels));
  j.set("s_channels", int_array(s_channels)).set("s_heads", s_heads).set("s_groups", s_groups);
  j.set("d_channels", int_array(d_channels));
  return j;
}

static int read_int(const Json& v, const std::string& label, const std::string& key) {
  if (!v.is_number() || v.as_number() != double(int64_t(v.as_number())))
    throw Error(label + ": model." + key + " must be an integer");
  return int(v.as_int());
}

static std::vector<int> read_ints(const Json& v, const std::string& label, const std::string& key) {
  if (!v.is_array()) throw Error(label + ": model." + key + " must be a list of integers");
  std::vector<int> out;
  for (const Json& x : v.items()) out.push_back(read_int(x, label, key));
  return out;
}

ModelConfig ModelConfig::from_json(const Json& j, const std::string& label) {
  if (!j.is_object()) throw Error(label + ": model config must be an object");
  ModelConfig c;
  for (auto& [key, v] : j.members()) {
    if (key == "in_h") c.in_h = read_int(v, label, key);
    else if (key == "in_w") c.in_w = read_int(v, label, key);
    else if (key == "scale") c.scale = read_int(v, label, key);
    else if (key == "num_classes") c.num_classes = read_int(v, label, key);
    else if (key == "g_channels") c.g_channels = read_int(v, label, key);
    else if (key == "g_blocks") c.g_blocks = read_int(v, label, key);
    else if (key == "g_heads") c.g_heads = read_int(v, label, key);
    else if (key == "g_up_channels") c.g_up_channels = read_ints(v, label, key);
    else if (key == "s_channels") c.s_channels = read_ints(v, label, key);
    else if (key == "s_heads") c.s_heads = read_int(v, label, key);
    else if (key == "s_groups") c.s_groups = read_int(v, label, key);
    else if (key == "d_channels") c.d_channels = read_ints(v, label, key);
    else throw Error(label + ": unknown model key '" + key + "'");
  }
  c.validate(label);
  return c;
}

void ModelConfig::validate(const std::string& label) const {
  auto bad = [&](const std::string& what) { throw Error(label + ": model config: " + what); };
  if (in_h < 4 || in_w < 4 || in_h % 4 || in_w % 4 || in_h > 256 || in_w > 256)
    bad("in_h and in_w must be multiples of 4 in [4, 256]");
  if (scale != 2 && scale != 4 && scale != 8) bad("scale must be 2, 4 or 8");
  if (num_classes < 2 || num_classes > 255) bad("num_classes must be in [2, 255]");
  if (g_channels < 4 || g_channels % g_heads) bad("g_channels must be >= 4 and divisible by g_heads");
  if (g_blocks < 0 || g_blocks > 64) bad("g_blocks must be in [0, 64]");
  if (int(g_up_channels.size()) < up_stages()) bad("g_up_channels needs one width per factor of 2 of scale");
  for (int c : g_up_channels)
    if (c < 1) bad("g_up_channels must be positive");
  if (s_channels.size() != 4) bad("s_channels needs 4 widths");
  for (int c : s_channels)
    if (c < s_groups || c % s_groups) bad("s_channels must be multiples of s_groups");
  if (s_channels[3] % s_heads) bad("s_channels[3] must be divisible by s_heads");
  if ((out_h() % 8) || (out_w() % 8)) bad("HR size (in * scale) must be a multiple of 8");
  if (d_channels.empty()) bad("d_channels needs at least one width");
  for (int c : d_channels)
    if (c < 1) bad("d_channels must be positive");
}

}  // namespace ulr
