// SyntheticSource: the embedded default dataset. Sample i of split s with seed k is rendered on
// demand and is always the same image (bit-identical, any thread count). Views come in groups
// of `views_per_world` from one apartment; the apartment of a view is fixed by (seed, split,
// i / views_per_world), and the three splits draw from disjoint sets of apartments, so train,
// val and test never share a room.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "data/classes.h"
#include "data/render.h"
#include "data/world.h"
#include "engine/tensor.h"

namespace ulr {

enum class Split : uint8_t { Train = 0, Val = 1, Test = 2 };
const char* split_name(Split split);  // "train", "val", "test"
// Parses "train" | "val" | "test"; throws Error("split: unknown 'X' (train, val, test)").
Split parse_split(const std::string& name);

struct SyntheticSample {
  Tensor rgb;                   // (3,H,W) float in [0, 1], the HR view
  Labels labels;                // (1,H,W) class ids 0..13
  IntTensor<int16_t> identity;  // (1,H,W) person identity 0..kNumIdentities-1, -1 elsewhere
  CameraPose pose;
  int64_t index = 0;            // i
  int64_t world_index = 0;      // i / views_per_world
  uint64_t world_seed = 0;      // the seed generate_world() was called with
  bool has_person = false;      // some pixel shows a person
};

class SyntheticSource {
 public:
  static constexpr int kDefaultViewsPerWorld = 8;

  // Throws Error when views_per_world < 1.
  SyntheticSource(uint64_t seed, Split split, int views_per_world = kDefaultViewsPerWorld);

  // Renders sample i (i >= 0) at height x width. Safe to call from several threads at once.
  // The camera pose depends on (seed, split, i) only, not on the size. Throws Error for i < 0
  // or a non-positive size.
  SyntheticSample sample(int64_t i, int height, int width) const;
  // Same, with full control of the renderer (options.height/width give the size).
  SyntheticSample sample(int64_t i, const RenderOptions& options) const;

  // The pose of sample i and the apartment it is drawn from.
  CameraPose pose(int64_t i) const;
  std::shared_ptr<const World> world_for(int64_t i) const;
  uint64_t world_seed(int64_t world_index) const;

  uint64_t seed() const { return seed_; }
  Split split() const { return split_; }
  int views_per_world() const { return views_per_world_; }

 private:
  uint64_t seed_;
  Split split_;
  int views_per_world_;
  // A few recently used apartments, so consecutive samples do not regenerate them.
  mutable std::mutex mutex_;
  mutable std::map<int64_t, std::shared_ptr<const World>> cache_;
  mutable std::map<int64_t, uint64_t> cache_age_;
  mutable uint64_t clock_ = 0;
};

// Camera sampling used by SyntheticSource: a random free position (agent radius 0.2 m), height
// 0.8-1.6 m, yaw uniform and pitch within +-10 degrees. 60 % of the views aim at an object
// instance instead (a class drawn uniformly among those present, people on their own and a
// quarter of the time when there are any; walls, floors, ceilings and windows excluded), seen
// from a free spot 0.8-2.8 m beyond its extent with a clear line of sight, yaw within +-12
// degrees of it, so that every class is well represented. Deterministic in `rng`. Throws Error
// when the world has no free space.
CameraPose sample_camera(const World& world, Rng& rng);

}  // namespace ulr
