#include "train/plan.h"

#include <algorithm>
#include <set>

#include "engine/error.h"
#include "engine/fileio.h"

namespace ulr {

std::string run_suffix(int height, int width, int64_t seed) {
  return std::to_string(height) + "x" + std::to_string(width) + "-s" + std::to_string(seed);
}

namespace {

// The keys an object may hold; Error("<where>: unknown key 'k'") for any other.
void allow_keys(const Json& j, const std::string& where, std::initializer_list<const char*> keys) {
  if (!j.is_object()) throw Error(where + ": expected a JSON object, got " + j.dump());
  for (const auto& member : j.members()) {
    bool known = false;
    for (const char* k : keys) known = known || member.first == k;
    if (!known) throw Error(where + ": unknown key '" + member.first + "'");
  }
}

std::string text_of(const Json& j, const char* key, const std::string& where, const std::string& fallback) {
  const Json& v = j.get(key);
  if (v.is_null()) return fallback;
  if (!v.is_string() || v.as_string().empty()) throw Error(where + ": " + key + ": expected a non-empty string, got " + v.dump());
  return v.as_string();
}

int64_t integer_of(const Json& v, const std::string& where, int64_t lo, int64_t hi) {
  if (!v.is_integer_in(lo, hi))
    throw Error(where + ": expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                v.dump());
  return v.as_int();
}

template <class T>
std::vector<T> integers_of(const Json& v, const std::string& where, int64_t lo, int64_t hi) {
  if (!v.is_array() || v.size() == 0) throw Error(where + ": expected a non-empty list of integers, got " + v.dump());
  std::vector<T> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const T x = T(integer_of(v.items()[i], where + "[" + std::to_string(i) + "]", lo, hi));
    for (T y : out)
      if (y == x) throw Error(where + ": " + std::to_string(x) + " is listed twice");
    out.push_back(x);
  }
  return out;
}

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

PlanRow read_row(const Json& j, const std::string& where, const Json& plan) {
  allow_keys(j, where, {"name", "label", "section", "config", "method", "set", "sizes", "seeds", "paper", "weights"});
  PlanRow row;
  row.name = text_of(j, "name", where, "");
  if (!valid_name(row.name))
    throw Error(where + ": name: expected 1 to 64 of a-z, 0-9 and '-', got " + j.get("name").dump());
  const std::string at = where + " '" + row.name + "'";
  row.label = text_of(j, "label", at, row.name);
  row.section = text_of(j, "section", at, "main");
  if (row.section != "main" && row.section != "ablation" && row.section != "schedule" && row.section != "extractor")
    throw Error(at + ": section: expected main, ablation, schedule or extractor, got \"" + row.section + "\"");
  row.config = text_of(j, "config", at, "");
  if (row.config.empty()) throw Error(at + ": config: every row needs its base training config");
  if (!j.get("set").is_null()) {
    if (!j.get("set").is_object()) throw Error(at + ": set: expected an object {key: value}, got " + j.get("set").dump());
    row.set = j.get("set");
  }
  if (!j.get("method").is_null()) row.set.set("method", j.get("method"));
  if (!j.get("sizes").is_null()) row.sizes = integers_of<int>(j.get("sizes"), at + ": sizes", 1, 256);
  const Json& seeds = j.get("seeds").is_null() ? plan.get("seeds") : j.get("seeds");
  if (seeds.is_null()) throw Error(at + ": seeds: a row (or the plan) must list its seeds");
  if (seeds.is_object()) {  // per input size: {"16": [1, 2, 3], "32": [1]}
    for (const auto& [size, list] : seeds.members()) {
      bool listed = false;
      for (int s : row.sizes) listed = listed || std::to_string(s) == size;
      if (!listed) throw Error(at + ": seeds: '" + size + "' is not one of the row's sizes");
      row.seeds_by_size[std::stoi(size)] = integers_of<int64_t>(list, at + ": seeds: " + size, 0, 2147483647);
    }
    for (int s : row.sizes)
      if (!row.seeds_by_size.count(s)) throw Error(at + ": seeds: size " + std::to_string(s) + " lists no seeds");
  } else {
    row.seeds = integers_of<int64_t>(seeds, at + ": seeds", 0, 2147483647);
  }
  if (!j.get("paper").is_null()) {
    allow_keys(j.get("paper"), at + ": paper", {"8", "12", "16", "24", "32", "64"});
    for (const auto& [size, value] : j.get("paper").members()) {
      if (!value.is_number()) throw Error(at + ": paper: " + size + ": expected a number, got " + value.dump());
      row.paper[std::stoi(size)] = value.as_number();
    }
  }
  if (!j.get("weights").is_null()) {
    if (!j.get("weights").is_object()) throw Error(at + ": weights: expected {\"16x16-s1\": PATH}, got " + j.get("weights").dump());
    for (const auto& [suffix, path] : j.get("weights").members()) {
      if (!path.is_string() || path.as_string().empty())
        throw Error(at + ": weights: " + suffix + ": expected a path, got " + path.dump());
      row.weights[suffix] = path.as_string();
    }
  }
  return row;
}

// The row's base config with its overrides merged in ("model.KEY" into "model").
Json merged_config(const PlanRow& row, const std::string& at) {
  const std::vector<unsigned char> bytes = read_file(row.config);
  Json j = Json::parse(std::string(bytes.begin(), bytes.end()), row.config);
  if (!j.is_object()) throw Error(row.config + ": config must be a JSON object");
  for (const auto& [key, value] : row.set.members()) {
    if (key.rfind("model.", 0) == 0) {
      Json model = j.get("model").is_null() ? Json::object() : j.get("model");
      model.set(key.substr(6), value);
      j.set("model", model);
    } else if (!find_field(kTrainFields, key)) {
      throw Error(at + ": set: unknown key '" + key + "'");
    } else {
      j.set(key, value);
    }
  }
  return j;
}

}  // namespace

Plan Plan::read(const std::string& path) {
  const std::vector<unsigned char> bytes = read_file(path);
  return from_json(Json::parse(std::string(bytes.begin(), bytes.end()), path), path);
}

Plan Plan::from_json(const Json& j, const std::string& path) {
  allow_keys(j, path, {"title", "hr_size", "test_views", "seeds", "paired", "priority", "runs"});
  Plan plan;
  plan.path = path;
  plan.title = text_of(j, "title", path, "experiment");
  if (!j.get("hr_size").is_null()) plan.hr_size = int(integer_of(j.get("hr_size"), path + ": hr_size", 8, 2048));
  if (!j.get("test_views").is_null())
    plan.test_views = int(integer_of(j.get("test_views"), path + ": test_views", 1, 1000000));
  const Json& rows = j.get("runs");
  if (!rows.is_array() || rows.size() == 0) throw Error(path + ": runs: expected a non-empty list of rows");
  std::set<std::string> names;
  for (size_t i = 0; i < rows.size(); ++i) {
    PlanRow row = read_row(rows.items()[i], path + ": runs[" + std::to_string(i) + "]", j);
    if (!names.insert(row.name).second) throw Error(path + ": runs[" + std::to_string(i) + "]: name '" + row.name + "' is used twice");
    plan.rows.push_back(std::move(row));
  }
  const Json& paired = j.get("paired");
  if (!paired.is_null()) {
    if (!paired.is_array()) throw Error(path + ": paired: expected a list of {a, b, size}");
    for (size_t i = 0; i < paired.size(); ++i) {
      const std::string where = path + ": paired[" + std::to_string(i) + "]";
      const Json& p = paired.items()[i];
      allow_keys(p, where, {"a", "b", "size", "seeds"});
      Pair pair{text_of(p, "a", where, ""), text_of(p, "b", where, ""), int(integer_of(p.get("size"), where + ": size", 1, 256)), {}};
      if (!p.get("seeds").is_null()) pair.seeds = integers_of<int64_t>(p.get("seeds"), where + ": seeds", 0, 2147483647);
      for (const std::string* name : {&pair.a, &pair.b}) {
        const PlanRow* row = plan.find_row(*name);
        if (!row) throw Error(where + ": no row is named '" + *name + "'");
        bool has = false;
        for (int s : row->sizes) has = has || s == pair.size;
        if (!has) throw Error(where + ": row '" + *name + "' has no runs at size " + std::to_string(pair.size));
        const std::vector<int64_t>& listed = row->seeds_for(pair.size);
        for (int64_t seed : pair.seeds)
          if (std::find(listed.begin(), listed.end(), seed) == listed.end())
            throw Error(where + ": seeds: row '" + *name + "' has no seed " + std::to_string(seed) + " at size " +
                        std::to_string(pair.size));
      }
      plan.paired.push_back(pair);
    }
  }
  const Json& priority = j.get("priority");
  if (!priority.is_null()) {
    if (!priority.is_array()) throw Error(path + ": priority: expected a list of run id patterns");
    for (size_t i = 0; i < priority.size(); ++i) {
      const Json& p = priority.items()[i];
      if (!p.is_string() || p.as_string().empty())
        throw Error(path + ": priority[" + std::to_string(i) + "]: expected a pattern such as \"ours-16x16-*\", got " + p.dump());
      plan.priority.push_back(p.as_string());
    }
  }
  plan.runs();  // every run's configuration checked now, before anything is trained
  return plan;
}

size_t Plan::priority_of(const std::string& id) const {
  for (size_t i = 0; i < priority.size(); ++i)
    if (matches_pattern(priority[i], id)) return i;
  return priority.size();
}

bool matches_pattern(const std::string& pattern, const std::string& text) {
  // Greedy glob with backtracking to the last '*'.
  size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') star = p++, mark = t;
    else if (p < pattern.size() && pattern[p] == text[t]) ++p, ++t;
    else if (star != std::string::npos) p = star + 1, t = ++mark;
    else return false;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

const std::vector<int64_t>& PlanRow::seeds_for(int size) const {
  auto it = seeds_by_size.find(size);
  return it == seeds_by_size.end() ? seeds : it->second;
}

const PlanRow* Plan::find_row(const std::string& name) const {
  for (const PlanRow& r : rows)
    if (r.name == name) return &r;
  return nullptr;
}

std::vector<PlannedRun> Plan::runs() const {
  std::vector<PlannedRun> out;
  for (size_t r = 0; r < rows.size(); ++r) {
    const PlanRow& row = rows[r];
    const std::string at = path + ": row '" + row.name + "'";
    const TrainConfig base = TrainConfig::from_json(merged_config(row, at), at);
    const bool hr = base.method == Method::Hr;
    if (hr && !row.sizes.empty()) throw Error(at + ": sizes: method hr sees the HR view; list no sizes");
    if (!hr && row.sizes.empty()) throw Error(at + ": sizes: list the input sizes to train (e.g. [16])");
    const std::vector<int> sizes = hr ? std::vector<int>{0} : row.sizes;
    std::set<std::string> used;
    for (int size : sizes)
      for (int64_t seed : row.seeds_for(size)) {
        PlannedRun run;
        run.row = r, run.size = size, run.seed = seed, run.config = base;
        TrainConfig& c = run.config;
        if (!hr) {
          if (hr_size % size != 0)
            throw Error(at + ": size " + std::to_string(size) + " does not divide the HR size " + std::to_string(hr_size));
          c.model.in_h = c.model.in_w = size;
          c.model.scale = hr_size / size;
        }
        c.seed = uint64_t(seed);
        const std::string suffix = hr ? run_suffix(c.model.out_h(), c.model.out_w(), seed)
                                      : run_suffix(size, size, seed);
        run.id = row.name + "-" + suffix;
        c.validate(at + ": run " + run.id);
        if (c.model.out_h() != hr_size || c.model.out_w() != hr_size)
          throw Error(at + ": run " + run.id + ": HR size " + std::to_string(c.model.out_h()) + "x" +
                      std::to_string(c.model.out_w()) + " is not the plan's " + std::to_string(hr_size));
        auto w = row.weights.find(suffix);
        if (w != row.weights.end()) run.reuse = w->second, used.insert(suffix);
        out.push_back(std::move(run));
      }
    for (const auto& [suffix, path_] : row.weights)
      if (!used.count(suffix)) throw Error(at + ": weights: '" + suffix + "' names no run of this row");
  }
  return out;
}

}  // namespace ulr
