// JSON (RFC 8259), strictly: no comments, no trailing commas, no NaN, no duplicate keys, UTF-8
// checked. A recursive-descent parser with a depth limit, so that hostile input (a header of a
// million '[') ends in an error, not a stack overflow.
#include "engine/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_set>

#include "engine/error.h"

namespace ulr {

// ---- Values -------------------------------------------------------------------------------

Json::Json(bool b) : type_(Type::Bool), bool_(b) {}
Json::Json(double d) : type_(Type::Number), number_(d) {}
Json::Json(int v) : type_(Type::Number), number_(v) {}
Json::Json(int64_t v) : type_(Type::Number), number_(double(v)) {}
Json::Json(const char* s) : type_(Type::String), string_(s) {}
Json::Json(std::string s) : type_(Type::String), string_(std::move(s)) {}

Json Json::array() {
  Json j;
  j.type_ = Type::Array;
  return j;
}

Json Json::object() {
  Json j;
  j.type_ = Type::Object;
  return j;
}

static const char* type_name(Json::Type t) {
  switch (t) {
    case Json::Type::Null: return "null";
    case Json::Type::Bool: return "bool";
    case Json::Type::Number: return "number";
    case Json::Type::String: return "string";
    case Json::Type::Array: return "array";
    case Json::Type::Object: return "object";
  }
  return "?";
}

static void expect_type(Json::Type have, Json::Type want) {
  if (have != want)
    throw Error(std::string("json: expected ") + type_name(want) + ", got " + type_name(have));
}

bool Json::as_bool() const {
  expect_type(type_, Type::Bool);
  return bool_;
}

double Json::as_number() const {
  expect_type(type_, Type::Number);
  return number_;
}

int64_t Json::as_int() const {
  expect_type(type_, Type::Number);
  // [-2^63, 2^63) is exactly the range of doubles that convert to int64 without overflow.
  if (!(number_ >= -9223372036854775808.0 && number_ < 9223372036854775808.0) ||
      std::floor(number_) != number_)
    throw Error("json: expected an integer, got " + Json(number_).dump());
  return int64_t(number_);
}

bool Json::is_integer_in(int64_t lo, int64_t hi) const {
  return type_ == Type::Number && number_ >= double(lo) && number_ <= double(hi) && std::floor(number_) == number_;
}

const std::string& Json::as_string() const {
  expect_type(type_, Type::String);
  return string_;
}

const std::vector<Json>& Json::items() const {
  expect_type(type_, Type::Array);
  return items_;
}

const std::vector<std::pair<std::string, Json>>& Json::members() const {
  expect_type(type_, Type::Object);
  return members_;
}

bool Json::has(const std::string& key) const {
  expect_type(type_, Type::Object);
  for (auto& m : members_)
    if (m.first == key) return true;
  return false;
}

const Json& Json::get(const std::string& key) const {
  static const Json null_value;
  expect_type(type_, Type::Object);
  for (auto& m : members_)
    if (m.first == key) return m.second;
  return null_value;
}

const Json& Json::at(const std::string& key) const {
  expect_type(type_, Type::Object);
  for (auto& m : members_)
    if (m.first == key) return m.second;
  throw Error("json: missing key \"" + key + "\"");
}

Json& Json::set(const std::string& key, Json value) {
  if (type_ == Type::Null) type_ = Type::Object;
  expect_type(type_, Type::Object);
  for (auto& m : members_)
    if (m.first == key) {
      m.second = std::move(value);
      return *this;
    }
  members_.emplace_back(key, std::move(value));
  return *this;
}

Json& Json::push(Json value) {
  if (type_ == Type::Null) type_ = Type::Array;
  expect_type(type_, Type::Array);
  items_.push_back(std::move(value));
  return *this;
}

size_t Json::size() const {
  if (type_ == Type::Array) return items_.size();
  if (type_ == Type::Object) return members_.size();
  throw Error(std::string("json: size() of a ") + type_name(type_));
}

// ---- Parser -------------------------------------------------------------------------------

constexpr int kMaxDepth = 256;

class JsonParser {
 public:
  JsonParser(const std::string& text, const std::string& label) : s_(text), label_(label) {}

  Json parse_document() {
    skip_space();
    Json v = parse_value(0);
    skip_space();
    if (pos_ != s_.size()) fail("unexpected content after the value");
    return v;
  }

 private:
  const std::string& s_;
  const std::string& label_;
  size_t pos_ = 0;

  [[noreturn]] void fail(const std::string& problem) const { fail_at(pos_, problem); }

  [[noreturn]] void fail_at(size_t at, const std::string& problem) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw Error(label_ + ": line " + std::to_string(line) + " col " + std::to_string(col) + ": " +
                problem);
  }

  // What is at the current position, for messages.
  std::string here() const {
    if (pos_ >= s_.size()) return "end of input";
    unsigned char c = static_cast<unsigned char>(s_[pos_]);
    if (c >= 0x20 && c < 0x7f) return std::string("'") + char(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
    return buf;
  }

  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }

  void skip_space() {
    while (!at_end()) {
      char c = s_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  void expect_literal(const char* word) {
    size_t n = std::strlen(word);
    if (s_.compare(pos_, n, word) != 0) fail("unexpected " + here());
    pos_ += n;
  }

  Json parse_value(int depth) {
    if (at_end()) fail("unexpected end of input");
    switch (peek()) {
      case '{': return parse_object(depth + 1);
      case '[': return parse_array(depth + 1);
      case '"': return Json(parse_string());
      case 't': expect_literal("true"); return Json(true);
      case 'f': expect_literal("false"); return Json(false);
      case 'n': expect_literal("null"); return Json();
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return Json(parse_number());
        fail("unexpected " + here());
    }
  }

  Json parse_object(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    ++pos_;  // '{'
    Json obj = Json::object();
    std::unordered_set<std::string> seen;
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return obj;
    }
    for (;;) {
      skip_space();
      if (peek() != '"') fail("expected a string key, got " + here());
      size_t key_pos = pos_;
      std::string key = parse_string();
      if (!seen.insert(key).second) fail_at(key_pos, "duplicate key \"" + key + "\"");
      skip_space();
      if (peek() != ':') fail("expected ':' after a key, got " + here());
      ++pos_;
      skip_space();
      // Keys are known to be unique here, so append without set()'s linear search.
      obj.members_.emplace_back(std::move(key), parse_value(depth));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return obj;
      }
      fail("expected ',' or '}' in an object, got " + here());
    }
  }

  Json parse_array(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    ++pos_;  // '['
    Json arr = Json::array();
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return arr;
    }
    for (;;) {
      skip_space();
      arr.push(parse_value(depth));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return arr;
      }
      fail("expected ',' or ']' in an array, got " + here());
    }
  }

  double parse_number() {
    size_t start = pos_;
    auto digits = [&] {
      size_t d = pos_;
      while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_;
      return pos_ - d;
    };
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
      if (peek() >= '0' && peek() <= '9') fail("leading zero in a number");
    } else if (digits() == 0) {
      fail("expected a digit, got " + here());
    }
    if (peek() == '.') {
      ++pos_;
      if (digits() == 0) fail("expected a digit after '.', got " + here());
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (digits() == 0) fail("expected a digit in the exponent, got " + here());
    }
    std::string text = s_.substr(start, pos_ - start);
    double v = std::strtod(text.c_str(), nullptr);
    if (std::isinf(v)) fail_at(start, "number " + text + " is out of range");
    return v;
  }

  unsigned hex4() {
    if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
      else { --pos_; fail("bad hex digit in a \\u escape: " + here()); }
    }
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  // Length of the well-formed UTF-8 sequence starting at pos_, or 0 (overlong forms,
  // surrogates and code points above U+10FFFF are ill-formed).
  size_t utf8_length() const {
    auto byte = [&](size_t i) -> unsigned {
      return pos_ + i < s_.size() ? static_cast<unsigned char>(s_[pos_ + i]) : 0u;
    };
    auto cont = [&](size_t i) { return (byte(i) & 0xC0) == 0x80; };
    unsigned c = byte(0);
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
      unsigned c1 = byte(1);
      if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
      if (c == 0xED && c1 >= 0xA0) return 0;  // UTF-16 surrogate
      return cont(1) && cont(2) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
      unsigned c1 = byte(1);
      if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
      if (c == 0xF4 && c1 >= 0x90) return 0;  // above U+10FFFF
      return cont(1) && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (at_end()) fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("control character in a string (escape it)");
      if (c >= 0x80) {
        size_t n = utf8_length();
        if (n == 0) fail("invalid UTF-8 in a string");
        out.append(s_, pos_, n);
        pos_ += n;
        continue;
      }
      if (c != '\\') {
        out += char(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (at_end()) fail("unterminated string");
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          size_t esc = pos_ - 2;
          unsigned cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail_at(esc, "lone low surrogate in a \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (s_.compare(pos_, 2, "\\u") != 0) fail_at(esc, "high surrogate without its pair");
            pos_ += 2;
            unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail_at(esc, "high surrogate without its pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          fail("unknown escape \\" + here());
      }
    }
  }
};

Json Json::parse(const std::string& text, const std::string& label) {
  return JsonParser(text, label).parse_document();
}

// ---- Serializer ---------------------------------------------------------------------------

// Code points that are valid in a JSON string but act on a terminal or on how text is shown:
// DEL, the C1 controls, the line and paragraph separators and the bidirectional controls. dump
// writes them as \u escapes, so JSON output quoting a hostile file is safe to print as it is.
static bool shown_escaped(uint32_t cp) {
  return cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
         (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static void dump_string(const std::string& s, std::string& out) {
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = s[i];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        // The code point of a 1- to 3-byte UTF-8 sequence starting here (every code point
        // shown_escaped names is one); anything else passes through byte by byte.
        auto continuation = [&](size_t k) { return k < s.size() && (uint8_t(s[k]) & 0xc0u) == 0x80u; };
        uint32_t cp = c, len = 1;
        if (c >= 0xc2 && c <= 0xdf && continuation(i + 1))
          cp = ((c & 0x1fu) << 6) | (uint8_t(s[i + 1]) & 0x3fu), len = 2;
        else if (c >= 0xe0 && c <= 0xef && continuation(i + 1) && continuation(i + 2))
          cp = ((c & 0x0fu) << 12) | ((uint8_t(s[i + 1]) & 0x3fu) << 6) | (uint8_t(s[i + 2]) & 0x3fu),
          len = 3;
        if (c < 0x20 || (shown_escaped(cp) && (len > 1 || c < 0x80))) {  // a lone byte stays
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(cp));
          out += buf;
          i += len - 1;
        } else {
          out += char(c);
        }
      }
    }
  }
  out += '"';
}

// Integers below 2^53 print as integers; everything else in the shortest form that reads back
// to the same double. JSON has no NaN or infinity: those print as null.
static void dump_number(double x, std::string& out) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  if (std::floor(x) == x && std::fabs(x) < 9007199254740992.0) {
    out += std::to_string(int64_t(x));
    return;
  }
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  out += buf;
}

static void dump_value(const Json& v, int indent, int level, std::string& out) {
  auto newline = [&](int lvl) {
    if (indent < 0) return;
    out += '\n';
    out.append(size_t(indent) * size_t(lvl), ' ');
  };
  switch (v.type()) {
    case Json::Type::Null: out += "null"; break;
    case Json::Type::Bool: out += v.as_bool() ? "true" : "false"; break;
    case Json::Type::Number: dump_number(v.as_number(), out); break;
    case Json::Type::String: dump_string(v.as_string(), out); break;
    case Json::Type::Array: {
      const auto& items = v.items();
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        newline(level + 1);
        dump_value(items[i], indent, level + 1, out);
      }
      if (!items.empty()) newline(level);
      out += ']';
      break;
    }
    case Json::Type::Object: {
      const auto& members = v.members();
      out += '{';
      for (size_t i = 0; i < members.size(); ++i) {
        if (i) out += ',';
        newline(level + 1);
        dump_string(members[i].first, out);
        out += indent < 0 ? ":" : ": ";
        dump_value(members[i].second, indent, level + 1, out);
      }
      if (!members.empty()) newline(level);
      out += '}';
      break;
    }
  }
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_value(*this, indent, 0, out);
  return out;
}

}  // namespace ulr
