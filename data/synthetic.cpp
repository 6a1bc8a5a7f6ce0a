#include "data/synthetic.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"

namespace ulr {
namespace {

constexpr float kDeg = 3.14159265f / 180.0f;
constexpr size_t kCacheWorlds = 8;

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

bool free_spot(const World& w, float x, float y) {
  return w.room_at(x, y) >= 0 && w.is_free(x, y, 0.2f);
}

// Whether the instance can be seen from `eye`: the ray towards `target` hits it first.
bool sees(const World& w, Vec3 eye, Vec3 target, int instance) {
  Vec3 d = {target.x - eye.x, target.y - eye.y, target.z - eye.z};
  float len = std::sqrt(d.x * d.x + d.y * d.y + d.z * d.z);
  if (len < 1e-3f) return false;
  RayHit h = cast_ray(w, eye, {d.x / len, d.y / len, d.z / len}, len + 1.0f);
  return h.primitive >= 0 && w.primitives[size_t(h.primitive)].instance == instance;
}

}  // namespace

const char* split_name(Split split) {
  switch (split) {
    case Split::Train: return "train";
    case Split::Val: return "val";
    case Split::Test: return "test";
  }
  return "?";
}

Split parse_split(const std::string& name) {
  if (name == "train") return Split::Train;
  if (name == "val") return Split::Val;
  if (name == "test") return Split::Test;
  throw Error("split: unknown '" + name + "' (train, val, test)");
}

CameraPose sample_camera(const World& w, Rng& rng) {
  CameraPose pose;
  pose.z = rng.uniform(0.8f, 1.6f);
  if (rng.uniform() < 0.6f) {
    // Aim at an instance: pick a category (a class, people on their own) uniformly, then an
    // instance of it, so rare classes are seen as often as common ones.
    std::vector<std::vector<int>> groups(kNumClasses + 1);
    for (int i = 0; i < int(w.instances.size()); ++i) {
      const Instance& in = w.instances[size_t(i)];
      // Walls, floors, ceilings and windows fill views anyway; aim at the things in the rooms.
      if (in.class_id == kWall || in.class_id == kFloor || in.class_id == kCeiling || in.class_id == kWindow ||
          in.kind == ItemKind::CeilingLamp || in.kind == ItemKind::Pillow)
        continue;
      groups[in.identity >= 0 ? kNumClasses : in.class_id].push_back(i);
    }
    std::vector<int> present;
    for (int g = 0; g <= kNumClasses; ++g)
      if (!groups[size_t(g)].empty()) present.push_back(g);
    if (!present.empty()) {
      // People get a quarter of the aimed views when there are any (identity work needs them).
      int pick = present[rng.below(uint32_t(present.size()))];
      if (!groups[kNumClasses].empty() && rng.uniform() < 0.25f) pick = kNumClasses;
      const std::vector<int>& group = groups[size_t(pick)];
      const int target = group[rng.below(uint32_t(group.size()))];
      const Instance& in = w.instances[size_t(target)];
      Vec3 c = {0.5f * (in.lo.x + in.hi.x), 0.5f * (in.lo.y + in.hi.y),
                std::clamp(0.5f * (in.lo.z + in.hi.z), 0.2f, 1.6f)};
      float reach = 0.5f * std::hypot(in.hi.x - in.lo.x, in.hi.y - in.lo.y);
      for (int t = 0; t < 30; ++t) {
        float d = reach + rng.uniform(0.8f, 2.8f), a = rng.uniform(-3.14159265f, 3.14159265f);
        float x = c.x + d * std::cos(a), y = c.y + d * std::sin(a);
        if (!free_spot(w, x, y) || !sees(w, {x, y, pose.z}, c, target)) continue;
        pose.x = x, pose.y = y;
        pose.yaw = std::atan2(c.y - y, c.x - x) + rng.uniform(-12.0f, 12.0f) * kDeg;
        float pitch = std::atan2(c.z - pose.z, d) + rng.uniform(-4.0f, 4.0f) * kDeg;
        pose.pitch = std::clamp(pitch, -10.0f * kDeg, 10.0f * kDeg);
        return pose;
      }
    }
  }
  for (int t = 0; t < 400; ++t) {
    float x = rng.uniform(w.bounds.x0, w.bounds.x1), y = rng.uniform(w.bounds.y0, w.bounds.y1);
    if (!free_spot(w, x, y)) continue;
    pose.x = x, pose.y = y;
    pose.yaw = rng.uniform(-3.14159265f, 3.14159265f);
    pose.pitch = rng.uniform(-10.0f, 10.0f) * kDeg;
    return pose;
  }
  // Scan in a fixed order: an apartment always has some free floor.
  const OccupancyGrid& g = w.free_space;
  for (int iy = 0; iy < g.height; ++iy)
    for (int ix = 0; ix < g.width; ++ix) {
      float x = g.x0 + (ix + 0.5f) * g.cell, y = g.y0 + (iy + 0.5f) * g.cell;
      if (!free_spot(w, x, y)) continue;
      pose.x = x, pose.y = y;
      pose.yaw = rng.uniform(-3.14159265f, 3.14159265f);
      return pose;
    }
  throw Error("world seed " + std::to_string(w.seed) + ": no free floor space for a camera");
}

SyntheticSource::SyntheticSource(uint64_t seed, Split split, int views_per_world)
    : seed_(seed), split_(split), views_per_world_(views_per_world) {
  if (views_per_world < 1)
    throw Error("synthetic: views_per_world must be >= 1, got " + std::to_string(views_per_world));
}

uint64_t SyntheticSource::world_seed(int64_t world_index) const {
  // x -> splitmix64(key ^ x) is a bijection, and (world_index, split) -> 3*world_index + split
  // is injective, so no two (split, world) pairs share a world seed.
  return splitmix64(splitmix64(seed_) ^ (uint64_t(world_index) * 3 + uint64_t(split_)));
}

std::shared_ptr<const World> SyntheticSource::world_for(int64_t i) const {
  if (i < 0) throw Error("synthetic: sample index " + std::to_string(i) + " is negative");
  const int64_t wi = i / views_per_world_;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(wi);
    if (it != cache_.end()) {
      cache_age_[wi] = ++clock_;
      return it->second;
    }
  }
  // Generated outside the lock; two threads may build the same world, with identical results.
  auto world = std::make_shared<const World>(generate_world(world_seed(wi)));
  std::lock_guard<std::mutex> lock(mutex_);
  cache_[wi] = world;
  cache_age_[wi] = ++clock_;
  while (cache_.size() > kCacheWorlds) {
    auto oldest = std::min_element(cache_age_.begin(), cache_age_.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
    cache_.erase(oldest->first);
    cache_age_.erase(oldest);
  }
  return world;
}

CameraPose SyntheticSource::pose(int64_t i) const {
  std::shared_ptr<const World> w = world_for(i);
  Rng rng(w->seed, uint64_t(i) + 1);
  return sample_camera(*w, rng);
}

SyntheticSample SyntheticSource::sample(int64_t i, int height, int width) const {
  RenderOptions opt;
  opt.height = height;
  opt.width = width;
  return sample(i, opt);
}

SyntheticSample SyntheticSource::sample(int64_t i, const RenderOptions& options) const {
  if (options.height < 1 || options.width < 1)
    throw Error("synthetic: size " + std::to_string(options.height) + "x" +
                std::to_string(options.width) + " must be positive");
  std::shared_ptr<const World> w = world_for(i);
  Rng rng(w->seed, uint64_t(i) + 1);
  SyntheticSample s;
  s.pose = sample_camera(*w, rng);
  RenderResult r = render(*w, s.pose, options);
  s.rgb = r.rgb;
  s.labels = std::move(r.labels);
  s.identity = std::move(r.identity);
  s.index = i;
  s.world_index = i / views_per_world_;
  s.world_seed = w->seed;
  s.has_person = std::any_of(s.identity.data.begin(), s.identity.data.end(), [](int16_t v) { return v >= 0; });
  return s;
}

}  // namespace ulr
