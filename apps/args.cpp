#include "apps/args.h"

#include <cerrno>
#include <cstdlib>

#include "engine/error.h"
#include "engine/parallel.h"

namespace ulr::cli {

Args::Args(int argc, char** argv, std::set<std::string> bare) {
  command_ = argc > 0 ? argv[0] : "";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      help_ = true;
      continue;
    }
    if (a.rfind("--", 0) != 0 || a == "--") {
      positional_.push_back(a);
      continue;
    }
    size_t eq = a.find('=');
    if (eq != std::string::npos) {
      values_.insert({a.substr(0, eq), a.substr(eq + 1)});
    } else if (bare.count(a)) {
      values_.insert({a, ""});
    } else {
      if (i + 1 >= argc) throw UsageError(a + ": missing value");
      values_.insert({a, argv[++i]});
    }
  }
}

bool Args::has(const std::string& flag) {
  read_.insert(flag);
  return values_.count(flag) > 0;
}

std::string Args::str(const std::string& flag, const std::string& fallback) {
  read_.insert(flag);
  auto range = values_.equal_range(flag);
  if (range.first == range.second) return fallback;
  std::string v;
  for (auto it = range.first; it != range.second; ++it) v = it->second;  // last one wins
  return v;
}

std::string Args::required(const std::string& flag) {
  if (!has(flag)) throw UsageError(flag + ": required");
  std::string v = str(flag, "");
  if (v.empty()) throw UsageError(flag + ": empty value");
  return v;
}

long long Args::integer(const std::string& flag, long long fallback, long long lo, long long hi) {
  if (!has(flag)) return fallback;
  std::string s = str(flag, "");
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno == ERANGE)
    throw UsageError(flag + ": expected an integer, got '" + s + "'");
  if (v < lo || v > hi)
    throw UsageError(flag + ": " + s + " is out of range [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "]");
  return v;
}

double Args::number(const std::string& flag, double fallback, double lo, double hi) {
  if (!has(flag)) return fallback;
  std::string s = str(flag, "");
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !(v == v))
    throw UsageError(flag + ": expected a number, got '" + s + "'");
  if (v < lo || v > hi)
    throw UsageError(flag + ": " + s + " is out of range [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "]");
  return v;
}

Size Args::size(const std::string& flag, const std::string& fallback) {
  const std::string text = str(flag, fallback);
  auto side = [](const std::string& digits, int& v) {
    if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos)
      return false;
    v = std::stoi(digits);
    return v >= 1 && v <= 4096;
  };
  const size_t x = text.find('x');
  Size s;
  if (x == std::string::npos || !side(text.substr(0, x), s.height) || !side(text.substr(x + 1), s.width))
    throw UsageError(flag + ": expected HxW with sides in [1, 4096], got '" + text + "'");
  return s;
}

std::vector<std::string> Args::all(const std::string& flag) {
  read_.insert(flag);
  std::vector<std::string> out;
  auto range = values_.equal_range(flag);
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

void Args::finish() const {
  for (auto& [flag, value] : values_)
    if (!read_.count(flag)) throw UsageError(flag + ": unknown flag for '" + command_ + "'");
}

void apply_threads(Args& args) {
  long long n = args.integer("--threads", 0, 0, 1024);
  if (n > 0) set_num_threads(int(n));
}

Split read_split(Args& args, const std::string& fallback) {
  const std::string name = args.str("--split", fallback);
  try {
    return parse_split(name);
  } catch (const Error&) {
    throw UsageError("--split: expected train, val or test, got '" + name + "'");
  }
}

Format read_format(Args& args) {
  const bool json = args.has("--json"), markdown = args.has("--markdown");
  if (json && markdown) throw UsageError("--json and --markdown: choose one");
  return json ? Format::Json : markdown ? Format::Markdown : Format::Text;
}

}  // namespace ulr::cli
