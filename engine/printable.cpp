#include "engine/printable.h"

#include <cstdint>
#include <cstdio>

namespace ulr {

namespace {

// Length of the well-formed UTF-8 sequence at s[i] (2..4) and its code point, or 0 when the
// bytes there are not one (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
int utf8_sequence(const std::string& s, size_t i, uint32_t* code_point) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  int n;
  uint32_t cp, min;
  if (lead >= 0xC2 && lead <= 0xDF) n = 2, cp = lead & 0x1Fu, min = 0x80;
  else if (lead >= 0xE0 && lead <= 0xEF) n = 3, cp = lead & 0x0Fu, min = 0x800;
  else if (lead >= 0xF0 && lead <= 0xF4) n = 4, cp = lead & 0x07u, min = 0x10000;
  else return 0;
  if (i + size_t(n) > s.size()) return 0;
  for (int k = 1; k < n; ++k) {
    const unsigned char c = byte(i + size_t(k));
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *code_point = cp;
  return n;
}

bool is_bidi_control(uint32_t cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string printable(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  char buf[12];
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += char(c);
      ++i;
      continue;
    }
    if (c == '\n' || c == '\r' || c == '\t') {
      out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const int n = c >= 0x80 ? utf8_sequence(text, i, &cp) : 0;
    if (n == 0) {  // a C0 control, DEL, or a byte that does not start valid UTF-8
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
      ++i;
    } else if (cp <= 0x9F || is_bidi_control(cp)) {
      std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(cp));
      out += buf;
      i += size_t(n);
    } else {
      out.append(text, i, size_t(n));
      i += size_t(n);
    }
  }
  return out;
}

}  // namespace ulr
