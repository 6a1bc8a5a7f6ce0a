// Object-goal navigation: geodesic distances on hand-made grids, SPL and SoftSPL on hand-computed
// episodes, collisions and sliding, the camera geometry, the shortest-path agent (success 1,
// SPL 1), episodes that round-trip through JSON, the same episodes and trajectories on 1 and 2
// threads, and the errors for bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "data/classes.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/parallel.h"
#include "gradcheck.h"
#include "nav/agents.h"
#include "nav/picture.h"

using namespace ulr;
using namespace ulr::nav;
using ulr::test::error_of;

namespace {

// A width x height grid of 1 m cells, all passable but for the cells listed in `blocked`
// ("x,y" pairs).
NavGrid grid(int width, int height, const std::vector<std::pair<int, int>>& blocked = {}) {
  NavGrid g;
  g.cell = 1.0f, g.width = width, g.height = height;
  g.passable.assign(size_t(width) * height, 1);
  for (auto [x, y] : blocked) g.passable[size_t(y) * width + x] = 0;
  return g;
}

// A few test-split episodes, shared by the tests below (apartments are built once).
struct Fixture {
  NavSettings settings;
  ApartmentCache cache{settings};
  EpisodeSet set;
  std::vector<NavTask> tasks;
  Fixture() {
    EpisodeSpec spec;
    spec.count = 6, spec.seed = 3;
    set = generate_episodes(spec, cache);
    tasks = make_tasks(set, cache, "episodes");
  }
};
Fixture& fixture() {
  static Fixture f;
  return f;
}

std::string tiny_weights(int in_size, int scale) {
  ModelConfig c;
  c.in_h = c.in_w = in_size, c.scale = scale;
  c.g_channels = 8, c.g_blocks = 1, c.g_heads = 2, c.g_up_channels = {8, 8, 8};
  c.s_channels = {8, 8, 8, 8}, c.s_heads = 2, c.s_groups = 4, c.d_channels = {8};
  ULRNet net(Method::Joint, c, 5);
  const std::string path = "/tmp/ulrseg_test_nav_" + std::to_string(in_size) + "x" + std::to_string(scale) + ".safetensors";
  net.save(path, {{"command", "test"}});
  return path;
}

}  // namespace

TEST_CASE("geodesic distance on hand-made grids") {
  const float s2 = std::sqrt(2.0f);
  SUBCASE("open grid: octile distances") {
    const NavGrid g = grid(10, 10);
    const std::vector<float> f = distance_field(g, {g.index(0, 0)});
    CHECK(f[size_t(g.index(0, 0))] == 0.0f);
    CHECK(f[size_t(g.index(3, 4))] == doctest::Approx(3 * s2 + 1));
    CHECK(f[size_t(g.index(9, 0))] == doctest::Approx(9));
  }
  SUBCASE("a wall with a gap: around it") {
    // Column x = 2 blocked but for y = 4; from (0, 0) to (4, 0): up to (1, 3), through (2, 4)
    // (diagonals beside the wall's end would cut its corner), down to (4, 0).
    std::vector<std::pair<int, int>> wall;
    for (int y = 0; y < 4; ++y) wall.push_back({2, y});
    const NavGrid g = grid(5, 5, wall);
    const std::vector<float> f = distance_field(g, {g.index(0, 0)});
    // (0,0) -> (1,1) -> (1,2) -> (1,3) -> (1,4) -> (2,4) -> (3,4) -> (3,3) -> (3,2) -> (3,1) -> (4,0)
    // is 2 diagonals and 8 straight moves; no shorter path exists without cutting a corner.
    CHECK(f[size_t(g.index(4, 0))] == doctest::Approx(2 * s2 + 8));
    const std::vector<FloorPoint> path = shortest_path(g, f, 4.5f, 0.5f);
    REQUIRE(path.size() == 11);
    CHECK(path.front().x == 4.5f);
    CHECK(path.back().x == 0.5f);
    CHECK(path.back().y == 0.5f);
    float length = 0;
    for (size_t i = 1; i < path.size(); ++i) length += std::hypot(path[i].x - path[i - 1].x, path[i].y - path[i - 1].y);
    CHECK(length == doctest::Approx(f[size_t(g.index(4, 0))]));
  }
  SUBCASE("no corner cutting, unreachable cells") {
    const NavGrid g = grid(2, 2, {{1, 0}, {0, 1}});
    const std::vector<float> f = distance_field(g, {g.index(0, 0)});
    CHECK(f[size_t(g.index(1, 1))] == kUnreachable);
    CHECK(distance_at(g, f, 1.5f, 1.5f) == double(kUnreachable));
    CHECK(shortest_path(g, f, 1.5f, 1.5f).empty());
  }
  SUBCASE("between cell centres") {
    const NavGrid g = grid(4, 1);
    const std::vector<float> f = distance_field(g, {g.index(0, 0)});
    CHECK(distance_at(g, f, 2.5f, 0.5f) == doctest::Approx(2.0));
    CHECK(distance_at(g, f, 2.8f, 0.5f) == doctest::Approx(2.3));  // own cell + the offset
  }
}

TEST_CASE("SPL and SoftSPL as habitat-lab defines them") {
  CHECK(spl(true, 4.0, 5.0) == doctest::Approx(0.8));
  CHECK(spl(true, 4.0, 3.0) == doctest::Approx(1.0));  // p below l (the grid overestimates) counts as l
  CHECK(spl(false, 4.0, 4.0) == 0.0);
  CHECK(soft_spl(1.0, 4.0, 5.0) == doctest::Approx(0.75 * 0.8));
  CHECK(soft_spl(5.0, 4.0, 5.0) == 0.0);  // ended further away than it started: no progress
  CHECK(soft_spl(0.0, 4.0, 4.0) == doctest::Approx(1.0));

  // Two hand-made episodes: one success (l 4, p 5), one failure that got halfway.
  std::vector<EpisodeResult> results(2);
  results[0].category = kSofa, results[0].success = results[0].success_habitat = true;
  results[0].spl = spl(true, 4, 5), results[0].softspl = soft_spl(0, 4, 5), results[0].dtg = 0;
  results[1].category = kTv, results[1].spl = 0, results[1].softspl = soft_spl(1.5, 3, 3), results[1].dtg = 1.5;
  results[0].steps = 20, results[1].steps = 40;
  const Summary s = summarize(results);
  CHECK(s.episodes == 2);
  CHECK(s.success.mean == 0.5);
  CHECK(s.spl.mean == doctest::Approx(0.4));
  CHECK(s.softspl.mean == doctest::Approx((0.8 + 0.5) / 2));
  CHECK(s.dtg.mean == doctest::Approx(0.75));
  CHECK(s.steps == 30);
  // The normal interval of the SPL mean: 0.4 +- 1.96 * sd / sqrt(2), sd = 0.8 / sqrt(2).
  CHECK(s.spl.hi - s.spl.mean == doctest::Approx(1.959964 * 0.4));
  const auto by = summarize_by_category(results);
  REQUIRE(by.size() == 2);
  CHECK(by[0].first == kSofa);
  CHECK(by[1].second.success.mean == 0.0);
  // Wilson's interval for 5 of 10: [0.2366, 0.7634].
  const Interval w = proportion_interval(5, 10);
  CHECK(w.lo == doctest::Approx(0.2366).epsilon(1e-3));
  CHECK(w.hi == doctest::Approx(0.7634).epsilon(1e-3));
  CHECK(proportion_interval(0, 20).lo == 0.0);
}

TEST_CASE("collisions: the agent slides along a wall and never enters an obstacle") {
  World w;  // a 2 m x 2 m floor with a wall from x = 1.5 on
  w.free_space.cell = 0.05f, w.free_space.width = w.free_space.height = 40;
  w.free_space.occupied.assign(1600, 0);
  for (int iy = 0; iy < 40; ++iy)
    for (int ix = 30; ix < 40; ++ix) w.free_space.occupied[size_t(iy) * 40 + ix] = 1;
  AgentPose pose{1.0f, 0.5f, 0.7853982f};  // 45 degrees, towards the wall and +y
  const StepOutcome first = move_forward(w, 0.18f, 0.25f, pose);
  CHECK_FALSE(first.collided);
  CHECK(first.moved == doctest::Approx(0.25f));
  const StepOutcome second = move_forward(w, 0.18f, 0.25f, pose);
  CHECK(second.collided);
  CHECK(second.moved > 0.17f);  // part of it along +y only
  for (int k = 0; k < 4; ++k) move_forward(w, 0.18f, 0.25f, pose);
  CHECK(pose.x <= 1.5f - 0.18f);
  CHECK(pose.x > 1.5f - 0.18f - 0.03f);  // against the wall
  CHECK(pose.y > 1.3f);                  // and still sliding up along it
  pose.yaw = 0;                          // straight at the wall: it stops
  const StepOutcome blocked = move_forward(w, 0.18f, 0.25f, pose);
  CHECK(blocked.collided);
  CHECK(blocked.moved < 0.03f);

  // Random actions in a real apartment: every pose is free for the agent's disc.
  const NavTask& t = fixture().tasks[0];
  const NavSettings& s = fixture().settings;
  AgentPose p = t.episode.start;
  Rng rng(9);
  int collisions = 0;
  for (int step = 0; step < 1500; ++step) {
    const Action a = rng.below(3) == 0 ? Action(1 + rng.below(2)) : Action::Forward;
    collisions += apply_action(*t.apartment->world, s, a, p).collided;
    REQUIRE(t.apartment->world->is_free(p.x, p.y, s.radius));
  }
  CHECK(collisions > 20);
}

TEST_CASE("view geometry: a pixel's floor point lies on its ray") {
  const NavSettings s;
  const ViewGeometry g(s);
  const AgentPose pose{1.0f, 2.0f, 0.6f};
  for (auto [u, v] : {std::pair<int, int>{10, 50}, {32, 63}, {60, 33}}) {
    float ahead = 0, right = 0;
    REQUIRE(g.floor_offset(float(u), float(v), &ahead, &right));
    const Vec3 d = g.ray(pose, float(u), float(v));
    const float t = s.camera_height / -d.z;
    const FloorPoint p = offset_point(pose, ahead, right);
    CHECK(p.x == doctest::Approx(pose.x + t * d.x).epsilon(1e-4));
    CHECK(p.y == doctest::Approx(pose.y + t * d.y).epsilon(1e-4));
  }
  float ahead = 0, right = 0;
  CHECK_FALSE(g.floor_offset(5, 31, &ahead, &right));  // at or above the horizon
  CHECK(g.column_angle(31.5f) == doctest::Approx(0.0f));
}

TEST_CASE("the modular policy: stops on a large target, scans, declares not found") {
  const NavSettings s;
  std::vector<uint8_t> labels(64 * 64, kWall);
  ModularPolicy full(kSofa, s);
  std::vector<uint8_t> sofa = labels;
  for (int i = 64 * 30; i < 64 * 64; ++i) sofa[size_t(i)] = kSofa;  // 53 % of the view
  CHECK(full.act(sofa.data(), {}, {}) == Action::Stop);
  // Nothing but wall: a full circle of turns, then no waypoint is left.
  ModularPolicy blind(kSofa, s);
  for (int k = 0; k < 11; ++k) CHECK(blind.act(labels.data(), {}, {}) == Action::TurnLeft);
  CHECK(blind.act(labels.data(), {}, {}) == Action::Stop);
  CHECK(blind.declared_not_found());
}

TEST_CASE("the shortest-path agent: success 1 and SPL 1 on reachable episodes") {
  Fixture& f = fixture();
  Agent shortest;
  shortest.label = "shortest", shortest.kind = AgentKind::Shortest;
  const AgentRun run = run_agent(shortest, f.tasks, RunOptions{});
  REQUIRE(run.results.size() == f.tasks.size());
  for (const EpisodeResult& r : run.results) {
    INFO("episode " << r.episode);
    CHECK(r.success_habitat);
    CHECK(r.spl == doctest::Approx(1.0).epsilon(1e-4));
    CHECK(r.softspl == doctest::Approx(1.0).epsilon(1e-4));
    CHECK(r.dtg < 1e-3);
    CHECK(r.collisions == 0);
    CHECK(r.path_length == doctest::Approx(r.geodesic).epsilon(1e-4));
  }
  // The same walk declaring "not found" at the end is no success.
  Trajectory gave_up = run.trajectories[0];
  gave_up.not_found = true;
  const EpisodeResult r = score_episode(f.tasks[0], f.settings, gave_up);
  CHECK(r.stopped);
  CHECK_FALSE(r.success_habitat);
  CHECK(r.spl == 0.0);
  CHECK(r.softspl == doctest::Approx(1.0).epsilon(1e-4));  // it did get there
}

TEST_CASE("episodes: deterministic, at least 1.5 m, written and read back") {
  Fixture& f = fixture();
  REQUIRE(f.set.episodes.size() == 6);
  for (const Episode& e : f.set.episodes) {
    CHECK(e.geodesic >= 1.5);
    CHECK(std::count(goal_categories().begin(), goal_categories().end(), e.category) == 1);
  }
  const std::string text = episodes_to_json(f.set).dump(1);
  const EpisodeSet back = episodes_from_json(Json::parse(text), "x.json");
  CHECK(episodes_to_json(back).dump(1) == text);
  // The same spec on one and on two threads.
  EpisodeSpec spec;
  spec.count = 6, spec.seed = 3;
  for (int threads : {1, 2}) {
    ThreadScope scope(threads);
    ApartmentCache cache(f.settings);
    CHECK(episodes_to_json(generate_episodes(spec, cache)).dump() == episodes_to_json(f.set).dump());
  }
  spec.seed = 4;
  CHECK(episodes_to_json(generate_episodes(spec, f.cache)).dump() != episodes_to_json(f.set).dump());
  spec.categories = {kTv};
  for (const Episode& e : generate_episodes(spec, f.cache).episodes) CHECK(e.category == kTv);
}

TEST_CASE("trajectories are the same on 1 and 2 threads, and with other episodes beside") {
  Fixture& f = fixture();
  const std::vector<NavTask> tasks(f.tasks.begin(), f.tasks.begin() + 3);
  const std::unique_ptr<ULRNet> net = ULRNet::load(tiny_weights(16, 4));
  RunOptions o;
  o.nav.max_steps = 12;
  auto run = [&](const Agent& agent, const std::vector<NavTask>& ts, int threads) {
    ThreadScope scope(threads);
    return run_agent(agent, ts, o);
  };
  auto same = [](const Trajectory& a, const Trajectory& b) {
    if (a.actions != b.actions || a.poses.size() != b.poses.size()) return false;
    for (size_t i = 0; i < a.poses.size(); ++i)
      if (a.poses[i].x != b.poses[i].x || a.poses[i].y != b.poses[i].y || a.poses[i].yaw != b.poses[i].yaw) return false;
    return true;
  };
  for (AgentKind kind : {AgentKind::Oracle, AgentKind::Model, AgentKind::Random}) {
    Agent agent;
    agent.label = "agent", agent.kind = kind, agent.net = net.get();
    const AgentRun one = run(agent, tasks, 1), two = run(agent, tasks, 2);
    const AgentRun alone = run(agent, {tasks[1]}, 2);
    for (size_t i = 0; i < tasks.size(); ++i) CHECK(same(one.trajectories[i], two.trajectories[i]));
    CHECK(same(alone.trajectories[0], one.trajectories[1]));
    CHECK(one.results[1].coverage == alone.results[0].coverage);
  }
}

TEST_CASE("bad input: one clear line") {
  Fixture& f = fixture();
  CHECK(error_of([] { parse_goal_category("lamp", "--category"); }) ==
        "--category: unknown 'lamp' (sofa, chair, table, picture, bed, tv)");
  Json j = episodes_to_json(f.set);
  const std::string text = j.dump();
  const std::string lamp = [&] {
    std::string t = text;
    t.replace(t.find("\"category\":\""), std::string("\"category\":\"").size(), "\"category\":\"lamp\",\"was\":\"");
    return t;
  }();
  CHECK(error_of([&] { episodes_from_json(Json::parse(lamp), "e.json"); }) ==
        "e.json: episode 0: category: unknown 'lamp' (sofa, chair, table, picture, bed, tv)");
  const std::string path = "/tmp/ulrseg_test_nav_bad.json";
  const std::string broken = "{\"format\": \"ulrseg-nav-episodes\",";
  write_file_atomic(path, broken.data(), broken.size());
  CHECK(error_of([&] { read_episodes(path); }).rfind(path + ": line 1", 0) == 0);
  CHECK(error_of([&] { episodes_from_json(Json::parse("{\"format\": \"other\"}"), "e.json"); }) ==
        "e.json: not an episodes file (format is not \"ulrseg-nav-episodes\")");
  // A start inside a wall, and a geodesic distance another generator wrote.
  EpisodeSet moved = f.set;
  moved.episodes.resize(1);
  moved.episodes[0].start.x = -50;
  CHECK(error_of([&] { make_tasks(moved, f.cache, "e.json"); }).find(": start is not free floor") != std::string::npos);
  moved = f.set;
  moved.episodes[0].geodesic += 1;
  CHECK(error_of([&] { make_tasks(moved, f.cache, "e.json"); }).find("in the file") != std::string::npos);
  // Weights for another input size, and for another output size.
  const std::string small = tiny_weights(8, 8), coarse = tiny_weights(8, 4);
  CHECK(error_of([&] { check_model_fits(*ULRNet::load(small), f.settings, small); }) ==
        small + ": takes 8x8 frames; navigation gives the agents 16x16 frames");
  CHECK(error_of([&] { check_model_fits(*ULRNet::load(coarse), f.settings, coarse); }) ==
        coarse + ": segments at 32x32; navigation needs 64x64 (the views the agents see)");
}

TEST_CASE("pictures: the map's size and the start ring, action icons") {
  Fixture& f = fixture();
  const NavTask& t = f.tasks[0];
  Trajectory tr;
  tr.start(t.episode.start);
  const Image map = draw_episode_map(t, {MapPath{&tr, {255, 0, 0}}}, 40);
  const OccupancyGrid& g = t.apartment->world->free_space;
  CHECK(map.width == int(std::ceil(float(g.width) * g.cell * 40)));
  CHECK(map.height == int(std::ceil(float(g.height) * g.cell * 40)));
  const Image icon = action_icon(Action::Stop, 16);
  CHECK(icon.width == 16);
  CHECK(icon.at(8, 8)[0] == 210);  // the red square
}
