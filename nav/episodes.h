// Object-goal episodes in the synthetic apartments of one split: a start pose and a goal
// category (sofa, chair, table, picture, bed, tv), the same for every agent, written to and read
// from a JSON file (docs/NAV.md gives the format).
//
// Goals follow habitat-lab's ObjectNav: every instance of the category is a goal instance, and
// its view points are the planning-grid cells within success_distance of its footprint from
// which a camera at the agent's height sees it (a ray to one of four points on its vertical
// axis hits it first, inside the vertical field of view). The distance to the goal is the
// geodesic distance to the nearest view point.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/synthetic.h"
#include "engine/json.h"
#include "nav/env.h"
#include "nav/geodesic.h"

namespace ulr::nav {

// The goal categories, class ids of data/classes.h, in the order tables list them.
const std::vector<int>& goal_categories();
// A category by its class name; throws Error("<where>: unknown 'X' (sofa, chair, table,
// picture, bed, tv)").
int parse_goal_category(const std::string& name, const std::string& where);

// The floor-plan distance from (x, y) to the rectangle (0 inside it).
float distance_to_rect(const Rect& r, float x, float y);
// Whether a camera at (x, y, eye_z) sees instance `index` as the view points require.
bool sees_instance(const World& w, int index, float x, float y, float eye_z, float half_vfov);

// One goal category in one apartment.
struct GoalSet {
  int category = 0;
  std::vector<int> instances;    // indices into World::instances that have view points
  std::vector<int> view_points;  // planning-grid cells
  std::vector<float> field;      // (grid cells) geodesic distance to the nearest view point
};

// An apartment made ready for navigation: its world, the planning grid (the agent's radius
// plus NavSettings::plan_margin) and the goals of every category it holds.
struct Apartment {
  uint64_t world_seed = 0;
  std::shared_ptr<const World> world;
  NavGrid grid;
  std::vector<GoalSet> goals;  // in goal_categories() order, categories without view points left out
  const GoalSet* goal(int category) const;  // nullptr when the apartment has none
};

// Prepared apartments by world seed, each built once.
class ApartmentCache {
 public:
  explicit ApartmentCache(const NavSettings& settings) : settings_(settings) {}
  std::shared_ptr<const Apartment> get(uint64_t world_seed);
  // Builds the apartments of `seeds` not yet cached, several at a time (engine/parallel.h).
  void prefetch(const std::vector<uint64_t>& seeds);
  const NavSettings& settings() const { return settings_; }

 private:
  NavSettings settings_;
  std::map<uint64_t, std::shared_ptr<const Apartment>> cache_;
};
std::shared_ptr<const Apartment> prepare_apartment(uint64_t world_seed, const NavSettings& settings);

struct Episode {
  int id = 0;
  int64_t apartment = -1;  // the apartment's index in its split (for people; world_seed decides)
  uint64_t world_seed = 0;
  AgentPose start;
  int category = 0;        // class id, one of goal_categories()
  double geodesic = 0;     // metres from the start to the nearest view point
};

struct EpisodeSet {
  uint64_t seed = 1, data_seed = 1;
  Split split = Split::Test;
  std::vector<Episode> episodes;
};

// What to generate. Apartments are those of `split` of SyntheticSource(data_seed), taken in
// order, `per_apartment` episodes each. The seed draws each episode's category (uniform among
// the apartment's goal categories, within `categories` when that is not empty), then its start
// (a uniform passable cell's centre at least min_geodesic metres from the goal; an episode
// whose tries all fail is skipped) and a uniform heading.
struct EpisodeSpec {
  int count = 200;
  uint64_t seed = 1, data_seed = 1;
  Split split = Split::Test;
  std::vector<int> categories;
  int per_apartment = 2;
  double min_geodesic = 1.5;
};

// Deterministic in the spec: the same spec gives the same episodes for any thread count.
EpisodeSet generate_episodes(const EpisodeSpec& spec, ApartmentCache& cache);

Json episodes_to_json(const EpisodeSet& set);
// Reads what episodes_to_json wrote; throws Error("<label>: ...") naming the episode and field.
EpisodeSet episodes_from_json(const Json& j, const std::string& label);
EpisodeSet read_episodes(const std::string& path);  // Error("PATH: ...")

// An episode with its apartment and goals, checked against them.
struct NavTask {
  Episode episode;
  std::shared_ptr<const Apartment> apartment;
  const GoalSet* goal = nullptr;  // points into *apartment
};
// Throws Error("<label>: episode N: ...") when an episode's start is not free floor, its
// apartment holds no reachable goal of its category, or its geodesic distance differs from the
// one recomputed here by more than a centimetre (a file made by another generator).
std::vector<NavTask> make_tasks(const EpisodeSet& set, ApartmentCache& cache, const std::string& label);

}  // namespace ulr::nav
