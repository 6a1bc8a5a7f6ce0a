#include "train/experiments.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "engine/error.h"
#include "train/config.h"

namespace ulr {

Spread spread(const std::vector<double>& values) {
  Spread s;
  if (values.empty()) return s;
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / double(values.size());
  double ss = 0;
  for (double v : values) ss += (v - s.mean) * (v - s.mean);
  s.sd = values.size() > 1 ? std::sqrt(ss / double(values.size() - 1)) : 0.0;
  s.min = *std::min_element(values.begin(), values.end());
  s.max = *std::max_element(values.begin(), values.end());
  return s;
}

static Json spread_json(const Spread& s) {
  Json j = Json::object();
  j.set("mean", s.mean).set("sd", s.sd).set("min", s.min).set("max", s.max);
  return j;
}

Json SeedGroup::to_json() const {
  Json j = Json::object(), seed_list = Json::array();
  for (int64_t s : seeds) seed_list.push(Json(s));
  j.set("label", label).set("runs", int64_t(runs.size())).set("seeds", seed_list);
  j.set("miou", spread_json(miou)).set("pixel_acc", spread_json(pixel_acc));
  if (!std::isnan(psnr.mean)) j.set("psnr", spread_json(psnr));
  return j;
}

namespace {
struct Keyed {
  std::string method, key;  // key: the canonical config without the seed ("" = no config)
  Json config;              // that config, as an object
  int64_t seed = -1;
};

Keyed canonical(const RunScore& r) {
  Keyed k;
  if (r.train_config.empty()) return k;
  try {
    Json full = TrainConfig::canonical(r.train_config, r.name);
    k.config = Json::object();
    for (const auto& [name, value] : full.members()) {
      if (name == "seed") k.seed = value.as_int();
      else k.config.set(name, value);
    }
    k.method = full.at("method").as_string();
    k.key = k.config.dump();
  } catch (const Error&) {
    k = Keyed();  // a configuration this version cannot read: the run stands alone
  }
  return k;
}

// A config value in a label: strings bare, the rest as `train --help` shows defaults (floats as
// 0.9, not 0.899999976).
std::string value_text(const Json& v) { return v.is_string() ? v.as_string() : default_text(v); }
}  // namespace

std::vector<SeedGroup> group_by_seed(const std::vector<RunScore>& scores) {
  std::vector<Keyed> keyed;
  for (const RunScore& r : scores) keyed.push_back(canonical(r));
  std::vector<SeedGroup> groups;
  std::vector<size_t> first;  // the run that opened each group
  for (size_t i = 0; i < scores.size(); ++i) {
    size_t g = 0;
    while (g < groups.size() && (keyed[i].key.empty() || keyed[first[g]].key != keyed[i].key)) ++g;
    if (g == groups.size()) {
      groups.emplace_back();
      first.push_back(i);
    }
    groups[g].runs.push_back(i);
    groups[g].seeds.push_back(keyed[i].seed);
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    SeedGroup& group = groups[g];
    const Keyed& own = keyed[first[g]];
    std::vector<double> miou, pa, psnr;
    for (size_t i : group.runs) {
      miou.push_back(scores[i].miou), pa.push_back(scores[i].pixel_acc), psnr.push_back(scores[i].psnr);
    }
    group.miou = spread(miou), group.pixel_acc = spread(pa), group.psnr = spread(psnr);
    if (own.key.empty()) {
      group.label = scores[first[g]].name;
      continue;
    }
    // The label names the keys in which this group differs from its method's other groups.
    group.label = own.method;
    std::string differs;
    for (const auto& [name, value] : own.config.members()) {
      bool same = true;
      for (size_t h = 0; h < groups.size(); ++h) {
        const Keyed& other = keyed[first[h]];
        if (h != g && other.method == own.method && !other.key.empty() && other.config.get(name).dump() != value.dump())
          same = false;
      }
      if (!same) differs += (differs.empty() ? "" : ", ") + name + "=" + value_text(value);
    }
    if (!differs.empty()) group.label += " (" + differs + ")";
  }
  return groups;
}

static std::string fmt(const char* f, double a, double b = 0) {
  if (std::isnan(a)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, a, b);
  return buf;
}

std::string seed_groups_markdown(const std::vector<SeedGroup>& groups) {
  std::string out = "| method | runs (seeds) | mIoU mean ± sd | mIoU min–max | pixel acc | PSNR (dB) |\n"
                    "|---|---|---|---|---|---|\n";
  for (const SeedGroup& g : groups) {
    std::string seeds;
    for (int64_t s : g.seeds) seeds += (seeds.empty() ? "" : ", ") + (s < 0 ? std::string("?") : std::to_string(s));
    out += "| " + g.label + " | " + std::to_string(g.runs.size()) + " (" + seeds + ") | " +
           fmt("%.3f ± %.3f", g.miou.mean, g.miou.sd) + " | " + fmt("%.3f–%.3f", g.miou.min, g.miou.max) + " | " +
           fmt("%.3f", g.pixel_acc.mean) + " | " + fmt("%.2f", g.psnr.mean) + " |\n";
  }
  return out;
}

}  // namespace ulr
