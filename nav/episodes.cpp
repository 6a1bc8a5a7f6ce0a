#include "nav/episodes.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "data/classes.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/parallel.h"

namespace ulr::nav {
namespace {

constexpr float kPi = 3.14159265f;
constexpr const char* kEpisodesFormat = "ulrseg-nav-episodes";
constexpr int kEpisodesVersion = 1;
constexpr int64_t kMaxSeed = int64_t(1) << 53;  // what a JSON number holds exactly
constexpr int kStartTries = 64;  // start cells drawn per episode before the apartment's next one

// The goals of one category: view points of each instance of the class, the instances that
// have some, and the distance field to them. Empty instances when there is none.
GoalSet make_goal_set(const World& w, const NavGrid& g, int category, const NavSettings& s) {
  GoalSet goal;
  goal.category = category;
  std::vector<uint8_t> is_view_point(g.passable.size(), 0);
  const float reach = s.success_distance, half_vfov = 0.5f * s.hfov_deg * kPi / 180.0f;
  for (int i = 0; i < int(w.instances.size()); ++i) {
    const Instance& in = w.instances[size_t(i)];
    if (in.class_id != category) continue;
    const int ix0 = std::max(0, int(std::floor((in.footprint.x0 - reach - g.x0) / g.cell)));
    const int iy0 = std::max(0, int(std::floor((in.footprint.y0 - reach - g.y0) / g.cell)));
    const int ix1 = std::min(g.width - 1, int(std::floor((in.footprint.x1 + reach - g.x0) / g.cell)));
    const int iy1 = std::min(g.height - 1, int(std::floor((in.footprint.y1 + reach - g.y0) / g.cell)));
    bool any = false;
    for (int iy = iy0; iy <= iy1; ++iy)
      for (int ix = ix0; ix <= ix1; ++ix) {
        if (!g.is_passable(ix, iy)) continue;
        const FloorPoint c = g.centre(g.index(ix, iy));
        if (distance_to_rect(in.footprint, c.x, c.y) > reach) continue;
        if (!sees_instance(w, i, c.x, c.y, s.camera_height, half_vfov)) continue;
        is_view_point[size_t(g.index(ix, iy))] = 1;
        any = true;
      }
    if (any) goal.instances.push_back(i);
  }
  for (int c = 0; c < int(is_view_point.size()); ++c)
    if (is_view_point[size_t(c)]) goal.view_points.push_back(c);
  if (!goal.view_points.empty()) goal.field = distance_field(g, goal.view_points);
  return goal;
}

uint64_t parse_world_seed(const Json& v, const std::string& where) {
  const std::string& s = v.as_string();
  char* end = nullptr;
  errno = 0;
  const unsigned long long seed = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || s[0] < '0' || s[0] > '9' || *end != '\0' || errno == ERANGE)
    throw Error(where + ": world_seed: expected a decimal 64-bit integer in a string, got '" + s + "'");
  return uint64_t(seed);
}

uint64_t seed_number(const Json& v, const std::string& where) {
  if (!v.is_integer_in(0, kMaxSeed)) throw Error(where + ": expected an integer in [0, 2^53], got " + v.dump());
  return uint64_t(v.as_int());
}

std::string metres(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f m", d);
  return buf;
}

float finite_number(const Json& v, const std::string& where) {
  if (!v.is_number() || !std::isfinite(v.as_number()) || std::fabs(v.as_number()) > 1e6)
    throw Error(where + ": expected a finite number, got " + v.dump());
  return float(v.as_number());
}

}  // namespace

float distance_to_rect(const Rect& r, float x, float y) {
  const float dx = std::max({r.x0 - x, 0.0f, x - r.x1}), dy = std::max({r.y0 - y, 0.0f, y - r.y1});
  return std::hypot(dx, dy);
}

// A ray to one of four points on the
// vertical axis of its box (half, a quarter, three quarters up and just below its top, which
// finds table tops above empty space) hits it first, and that point lies within the vertical
// half field of view.
bool sees_instance(const World& w, int index, float x, float y, float eye_z, float half_vfov) {
  const Instance& in = w.instances[size_t(index)];
  const float cx = 0.5f * (in.lo.x + in.hi.x), cy = 0.5f * (in.lo.y + in.hi.y);
  const float horizontal = std::hypot(cx - x, cy - y);
  if (horizontal < 1e-3f) return false;
  for (float t : {0.5f, 0.25f, 0.75f, 0.97f}) {
    const float z = in.lo.z + t * (in.hi.z - in.lo.z);
    if (std::fabs(std::atan2(z - eye_z, horizontal)) > half_vfov) continue;
    const Vec3 d = {cx - x, cy - y, z - eye_z};
    const float len = std::sqrt(d.x * d.x + d.y * d.y + d.z * d.z);
    const RayHit hit = cast_ray(w, {x, y, eye_z}, {d.x / len, d.y / len, d.z / len}, len + 0.5f);
    if (hit.primitive >= 0 && w.primitives[size_t(hit.primitive)].instance == index) return true;
  }
  return false;
}

const std::vector<int>& goal_categories() {
  static const std::vector<int> categories = {kSofa, kChair, kTable, kPicture, kBed, kTv};
  return categories;
}

int parse_goal_category(const std::string& name, const std::string& where) {
  std::string known;
  for (int c : goal_categories()) {
    if (name == class_name(c)) return c;
    known += (known.empty() ? "" : ", ") + std::string(class_name(c));
  }
  throw Error(where + ": unknown '" + name + "' (" + known + ")");
}

const GoalSet* Apartment::goal(int category) const {
  for (const GoalSet& g : goals)
    if (g.category == category) return &g;
  return nullptr;
}

std::shared_ptr<const Apartment> prepare_apartment(uint64_t world_seed, const NavSettings& s) {
  auto a = std::make_shared<Apartment>();
  a->world_seed = world_seed;
  a->world = std::make_shared<const World>(generate_world(world_seed));
  a->grid = make_nav_grid(*a->world, s.radius + s.plan_margin);
  for (int category : goal_categories()) {
    GoalSet g = make_goal_set(*a->world, a->grid, category, s);
    if (!g.view_points.empty()) a->goals.push_back(std::move(g));
  }
  return a;
}

std::shared_ptr<const Apartment> ApartmentCache::get(uint64_t world_seed) {
  auto it = cache_.find(world_seed);
  if (it != cache_.end()) return it->second;
  return cache_[world_seed] = prepare_apartment(world_seed, settings_);
}

void ApartmentCache::prefetch(const std::vector<uint64_t>& seeds) {
  std::vector<uint64_t> missing;
  for (uint64_t s : seeds)
    if (!cache_.count(s) && std::find(missing.begin(), missing.end(), s) == missing.end()) missing.push_back(s);
  std::vector<std::shared_ptr<const Apartment>> built(missing.size());
  parallel_for(int64_t(missing.size()), 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) built[size_t(i)] = prepare_apartment(missing[size_t(i)], settings_);
  });
  for (size_t i = 0; i < missing.size(); ++i) cache_[missing[i]] = built[i];
}

EpisodeSet generate_episodes(const EpisodeSpec& spec, ApartmentCache& cache) {
  EpisodeSet set;
  set.seed = spec.seed, set.data_seed = spec.data_seed, set.split = spec.split;
  const SyntheticSource source(spec.data_seed, spec.split);
  const int64_t batch = 8, max_apartments = int64_t(spec.count) * 20 + 100;
  for (int64_t a = 0; int(set.episodes.size()) < spec.count; ++a) {
    if (a >= max_apartments)
      throw Error("nav: found only " + std::to_string(set.episodes.size()) + " episodes in " +
                  std::to_string(a) + " apartments");
    if (a % batch == 0) {
      std::vector<uint64_t> seeds;
      for (int64_t k = a; k < a + batch; ++k) seeds.push_back(source.world_seed(k));
      cache.prefetch(seeds);
    }
    const std::shared_ptr<const Apartment> apt = cache.get(source.world_seed(a));
    std::vector<int> cells;
    for (int c = 0; c < int(apt->grid.passable.size()); ++c)
      if (apt->grid.passable[size_t(c)]) cells.push_back(c);
    if (cells.empty()) continue;
    std::vector<const GoalSet*> wanted;
    for (const GoalSet& g : apt->goals)
      if (spec.categories.empty() || std::count(spec.categories.begin(), spec.categories.end(), g.category))
        wanted.push_back(&g);
    if (wanted.empty()) continue;
    Rng rng(spec.seed, uint64_t(a) + 1);
    for (int k = 0; k < spec.per_apartment && int(set.episodes.size()) < spec.count; ++k) {
      const GoalSet& g = *wanted[rng.below(uint32_t(wanted.size()))];
      for (int t = 0; t < kStartTries; ++t) {
        const int c = cells[rng.below(uint32_t(cells.size()))];
        const float d = g.field[size_t(c)];
        if (d == kUnreachable || d < spec.min_geodesic) continue;
        Episode e;
        e.id = int(set.episodes.size());
        e.apartment = a;
        e.world_seed = apt->world_seed;
        const FloorPoint p = apt->grid.centre(c);
        e.start = {p.x, p.y, rng.uniform(-kPi, kPi)};
        e.category = g.category;
        e.geodesic = d;
        set.episodes.push_back(e);
        break;
      }
    }
  }
  return set;
}

Json episodes_to_json(const EpisodeSet& set) {
  Json list = Json::array();
  for (const Episode& e : set.episodes) {
    Json start = Json::object();
    start.set("x", double(e.start.x)).set("y", double(e.start.y)).set("yaw", double(e.start.yaw));
    Json j = Json::object();
    j.set("id", e.id).set("apartment", e.apartment).set("world_seed", std::to_string(e.world_seed));
    j.set("start", start).set("category", class_name(e.category)).set("geodesic", e.geodesic);
    list.push(j);
  }
  Json j = Json::object();
  j.set("format", kEpisodesFormat).set("version", kEpisodesVersion);
  j.set("split", split_name(set.split)).set("data_seed", int64_t(set.data_seed));
  j.set("seed", int64_t(set.seed)).set("episodes", list);
  return j;
}

EpisodeSet episodes_from_json(const Json& j, const std::string& label) {
  try {
    if (!j.is_object() || !j.get("format").is_string() || j.get("format").as_string() != kEpisodesFormat)
      throw Error(std::string("not an episodes file (format is not \"") + kEpisodesFormat + "\")");
    if (!j.get("version").is_integer_in(kEpisodesVersion, kEpisodesVersion))
      throw Error("version: expected " + std::to_string(kEpisodesVersion) + ", got " + j.get("version").dump());
    EpisodeSet set;
    set.split = parse_split(j.at("split").as_string());
    set.data_seed = seed_number(j.at("data_seed"), "data_seed");
    set.seed = seed_number(j.at("seed"), "seed");
    const std::vector<Json>& items = j.at("episodes").items();
    if (items.empty()) throw Error("episodes: the list is empty");
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string where = "episode " + std::to_string(i);
      try {
        const Json& item = items[i];
        Episode e;
        if (!item.at("id").is_integer_in(0, 1 << 30)) throw Error("id: expected an integer >= 0");
        e.id = int(item.at("id").as_int());
        e.apartment = item.get("apartment").is_integer_in(0, int64_t(1) << 40) ? item.at("apartment").as_int() : -1;
        e.world_seed = parse_world_seed(item.at("world_seed"), "world_seed");
        const Json& start = item.at("start");
        e.start = {finite_number(start.at("x"), "start.x"), finite_number(start.at("y"), "start.y"),
                   finite_number(start.at("yaw"), "start.yaw")};
        e.category = parse_goal_category(item.at("category").as_string(), "category");
        e.geodesic = finite_number(item.at("geodesic"), "geodesic");
        set.episodes.push_back(e);
      } catch (const Error& err) {
        throw Error(where + ": " + err.what());
      }
    }
    return set;
  } catch (const Error& err) {
    throw Error(label + ": " + err.what());
  }
}

EpisodeSet read_episodes(const std::string& path) {
  const std::vector<unsigned char> bytes = read_file(path);
  const Json j = Json::parse(std::string(bytes.begin(), bytes.end()), path);
  return episodes_from_json(j, path);
}

std::vector<NavTask> make_tasks(const EpisodeSet& set, ApartmentCache& cache, const std::string& label) {
  std::vector<uint64_t> seeds;
  for (const Episode& e : set.episodes) seeds.push_back(e.world_seed);
  cache.prefetch(seeds);
  std::vector<NavTask> tasks;
  for (const Episode& e : set.episodes) {
    NavTask t;
    t.episode = e;
    t.apartment = cache.get(e.world_seed);
    const std::string where = label + ": episode " + std::to_string(e.id) + " (world " + std::to_string(e.world_seed) + ")";
    const World& w = *t.apartment->world;
    if (w.room_at(e.start.x, e.start.y) < 0 || !w.is_free(e.start.x, e.start.y, cache.settings().radius))
      throw Error(where + ": start is not free floor");
    t.goal = t.apartment->goal(e.category);
    const double d = t.goal ? distance_at(t.apartment->grid, t.goal->field, e.start.x, e.start.y) : kUnreachable;
    if (!t.goal || d == double(kUnreachable))
      throw Error(where + ": no " + class_name(e.category) + " is reachable from the start");
    if (std::fabs(d - e.geodesic) > 0.01)
      throw Error(where + ": geodesic distance " + metres(e.geodesic) + " in the file, " + metres(d) +
                  " from the apartment (was the file made by another version?)");
    t.episode.geodesic = d;
    tasks.push_back(std::move(t));
  }
  return tasks;
}

}  // namespace ulr::nav
