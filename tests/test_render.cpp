// The ray caster and the synthetic dataset: determinism, split disjointness, plausible labels
// (floor below, wall ahead at close range), the identity map, size independence of poses.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "data/classes.h"
#include "data/render.h"
#include "data/synthetic.h"
#include "data/world_builder.h"
#include "engine/error.h"
#include "engine/parallel.h"

using namespace ulr;

namespace {

constexpr float kPi = 3.14159265f;

bool same_bytes(const RenderResult& a, const RenderResult& b) {
  return a.rgb.numel() == b.rgb.numel() &&
         !std::memcmp(a.rgb.data(), b.rgb.data(), sizeof(float) * size_t(a.rgb.numel())) &&
         a.labels.data == b.labels.data && a.identity.data == b.identity.data;
}

int count(const Labels& l, uint8_t cls) {
  int n = 0;
  for (uint8_t v : l.data) n += v == cls;
  return n;
}

// A 4 m x 4 m room with plain walls, one person facing -x at (3, 2), nothing else.
World box_room() {
  World w;
  Rng rng(1);
  worldgen::Builder b(w, rng);
  w.bounds = {0, 0, 4, 4};
  w.ceiling_height = 2.5f;
  Room room;
  room.rect = {0.05f, 0.05f, 3.95f, 3.95f};
  room.floor_material = b.material(worldgen::wood(rng));
  room.wall_material = b.material(worldgen::paint(rng));
  room.ceiling_material = b.material(worldgen::paint(rng));
  room.lamp = {2, 2, 2.2f};
  w.rooms.push_back(room);
  const float H = w.ceiling_height;
  auto wall = [&](Vec3 lo, Vec3 hi) { b.box(b.instance(ItemKind::Wall, 0, true), lo, hi, room.wall_material); };
  wall({0, 0, 0}, {4, 0.05f, H});
  wall({0, 3.95f, 0}, {4, 4, H});
  wall({0, 0, 0}, {0.05f, 4, H});
  wall({3.95f, 0, 0}, {4, 4, H});
  int person = b.instance(ItemKind::Person, 0, true, 5);
  b.cylinder(person, 3, 2, 0.2f, 0, 1.45f, b.material(worldgen::fabric(rng)));
  b.sphere(person, {3, 2, 1.6f}, 0.12f, b.material(worldgen::plastic(rng)));
  worldgen::index_world(w);
  return w;
}

}  // namespace

TEST_CASE("render: floor below, ceiling above, wall ahead at close range") {
  World w = box_room();
  RenderOptions opt;
  opt.height = opt.width = 32;
  CameraPose down{1.0f, 1.0f, 1.2f, 0.3f, -80 * kPi / 180};
  RenderResult r = render(w, down, opt);
  CHECK(r.labels.data[16 * 32 + 16] == kFloor);
  CHECK(count(r.labels, kFloor) > 32 * 32 * 9 / 10);
  CameraPose up{1.0f, 1.0f, 1.2f, 0.3f, 80 * kPi / 180};
  CHECK(count(render(w, up, opt).labels, kCeiling) > 32 * 32 * 9 / 10);
  // 0.3 m from the south wall, facing it: the wall fills the middle of the view.
  CameraPose wall{1.0f, 0.35f, 1.2f, -kPi / 2, 0};
  RenderResult v = render(w, wall, opt);
  CHECK(count(v.labels, kWall) > 32 * 32 / 2);
  for (int y = 8; y < 24; ++y)
    for (int x = 8; x < 24; ++x) CHECK(v.labels.data[size_t(y) * 32 + x] == kWall);
  // Values are colours in [0, 1]; nothing is missed inside a closed room.
  for (int64_t i = 0; i < v.rgb.numel(); ++i) CHECK((v.rgb.data()[i] >= 0.0f && v.rgb.data()[i] <= 1.0f));
  CHECK(count(v.labels, kUnknown) == 0);
}

TEST_CASE("render: the identity map marks the person exactly") {
  World w = box_room();
  RenderOptions opt;
  opt.height = 48, opt.width = 64;
  CameraPose pose{1.0f, 2.0f, 1.2f, 0.0f, 0.0f};  // facing +x, the person 2 m ahead
  RenderResult r = render(w, pose, opt);
  CHECK(r.rgb.shape() == Shape{3, 48, 64});
  CHECK(r.labels.shape == Shape{1, 48, 64});
  CHECK(r.identity.shape == Shape{1, 48, 64});
  int person = 0;
  for (size_t i = 0; i < r.labels.data.size(); ++i) {
    bool is_person = r.labels.data[i] == kObjects;
    CHECK((r.identity.data[i] >= 0) == is_person);
    if (is_person) CHECK(r.identity.data[i] == 5);
    person += is_person;
  }
  CHECK(person > 100);
  CHECK(r.labels.data[24 * 64 + 32] == kObjects);  // the centre ray hits the person
  RayHit h = cast_ray(w, {1.0f, 2.0f, 1.2f}, {1, 0, 0});
  CHECK(h.identity == 5);
  CHECK(h.t == doctest::Approx(1.8f).epsilon(1e-3));
}

TEST_CASE("render: same bytes for any thread count; bad sizes throw") {
  World w = generate_world(7);
  Rng rng(7, 1);
  CameraPose pose = sample_camera(w, rng);
  RenderOptions opt;
  opt.height = 40, opt.width = 56;
  RenderResult one, two;
  {
    ThreadScope t(1);
    one = render(w, pose, opt);
  }
  {
    ThreadScope t(2);
    two = render(w, pose, opt);
  }
  CHECK(same_bytes(one, two));
  CHECK(same_bytes(one, render(w, pose, opt)));
  opt.height = 0;
  CHECK_THROWS_AS(render(w, pose, opt), Error);
}

TEST_CASE("synthetic: same (seed, split, i) gives the same bytes") {
  SyntheticSource a(3, Split::Train), b(3, Split::Train);
  for (int64_t i : {0, 5, 17}) {
    SyntheticSample x = a.sample(i, 32, 32), y = b.sample(i, 32, 32);
    CHECK(!std::memcmp(x.rgb.data(), y.rgb.data(), sizeof(float) * 3 * 32 * 32));
    CHECK(x.labels.data == y.labels.data);
    CHECK(x.identity.data == y.identity.data);
    CHECK(x.world_seed == y.world_seed);
    CHECK(x.world_index == i / a.views_per_world());
  }
  // Poses do not depend on the render size.
  CameraPose p = a.sample(9, 16, 24).pose, q = a.sample(9, 64, 64).pose;
  CHECK(!std::memcmp(&p, &q, sizeof(CameraPose)));
  CameraPose r = a.pose(9);
  CHECK(!std::memcmp(&p, &r, sizeof(CameraPose)));
  // Another seed gives other views.
  SyntheticSource c(4, Split::Train);
  CHECK(c.sample(0, 32, 32).labels.data != a.sample(0, 32, 32).labels.data);
}

TEST_CASE("synthetic: train, val and test never share an apartment") {
  std::set<uint64_t> seen[3];
  const Split splits[3] = {Split::Train, Split::Val, Split::Test};
  for (int s = 0; s < 3; ++s) {
    SyntheticSource src(11, splits[s]);
    for (int64_t wi = 0; wi < 2000; ++wi) seen[s].insert(src.world_seed(wi));
    CHECK(seen[s].size() == 2000);
  }
  for (uint64_t v : seen[0]) CHECK_FALSE((seen[1].count(v) || seen[2].count(v)));
  for (uint64_t v : seen[1]) CHECK_FALSE(seen[2].count(v));
  SyntheticSource train(11, Split::Train), test(11, Split::Test);
  CHECK(train.sample(0, 24, 24).world_seed != test.sample(0, 24, 24).world_seed);
  CHECK(std::string(split_name(parse_split("val"))) == "val");
  CHECK_THROWS_AS(parse_split("dev"), Error);
  CHECK_THROWS_AS(SyntheticSource(1, Split::Train, 0), Error);
  CHECK_THROWS_AS(train.sample(-1, 8, 8), Error);
}

TEST_CASE("synthetic: views show plausible classes and people carry identities") {
  SyntheticSource src(0, Split::Test);
  std::vector<int64_t> pixels(kNumClasses, 0);
  int with_people = 0;
  const int n = 64;
  for (int64_t i = 0; i < n; ++i) {
    SyntheticSample s = src.sample(i, 32, 32);
    std::shared_ptr<const World> w = src.world_for(i);
    std::vector<int> ids = w->identities();
    for (size_t k = 0; k < s.labels.data.size(); ++k) {
      ++pixels[s.labels.data[k]];
      int16_t id = s.identity.data[k];
      if (id >= 0) {
        CHECK(s.labels.data[k] == kObjects);
        CHECK(std::count(ids.begin(), ids.end(), int(id)) == 1);
      }
    }
    with_people += s.has_person;
    CHECK(w->is_free(s.pose.x, s.pose.y, 0.2f));
    CHECK(s.pose.z >= 0.8f);
    CHECK(s.pose.z <= 1.6f);
    CHECK(std::fabs(s.pose.pitch) <= 10.0f * kPi / 180 + 1e-5f);
  }
  CHECK(pixels[kWall] > 0);
  CHECK(pixels[kFloor] > 0);
  CHECK(pixels[kCeiling] > 0);
  CHECK(pixels[kUnknown] == 0);
  int classes_seen = 0;
  for (int k = 1; k < kNumClasses; ++k) classes_seen += pixels[size_t(k)] > 0;
  CHECK(classes_seen >= 11);
  CHECK(with_people > 0);
}
