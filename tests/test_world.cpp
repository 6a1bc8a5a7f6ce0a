// The apartment generator: determinism, robustness over many seeds, the free-space grid against
// the furniture footprints, reachability, identities, item kinds, room sides and the class table.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <queue>
#include <set>

#include "data/classes.h"
#include "data/world.h"
#include "data/world_builder.h"

using namespace ulr;

namespace {

bool same_primitives(const World& a, const World& b) {
  if (a.primitives.size() != b.primitives.size() || a.materials.size() != b.materials.size()) return false;
  for (size_t i = 0; i < a.primitives.size(); ++i) {
    const Primitive &p = a.primitives[i], &q = b.primitives[i];
    if (p.kind != q.kind || p.material != q.material || p.instance != q.instance ||
        std::memcmp(&p.lo, &q.lo, sizeof(Vec3)) || std::memcmp(&p.hi, &q.hi, sizeof(Vec3)))
      return false;
  }
  return a.free_space.occupied == b.free_space.occupied;
}

// Free cells an agent of `radius` can stand on, flood-filled from `start`.
std::vector<uint8_t> reachable(const World& w, float radius, int start) {
  const OccupancyGrid& g = w.free_space;
  std::vector<uint8_t> ok(g.occupied.size(), 0), seen(g.occupied.size(), 0);
  for (int iy = 0; iy < g.height; ++iy)
    for (int ix = 0; ix < g.width; ++ix)
      ok[size_t(iy) * g.width + ix] = w.is_free(g.x0 + (ix + 0.5f) * g.cell, g.y0 + (iy + 0.5f) * g.cell, radius);
  std::queue<int> q;
  q.push(start);
  seen[size_t(start)] = 1;
  while (!q.empty()) {
    int i = q.front();
    q.pop();
    int ix = i % g.width, iy = i / g.width;
    const int nb[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    for (const auto& d : nb) {
      int jx = ix + d[0], jy = iy + d[1];
      if (jx < 0 || jy < 0 || jx >= g.width || jy >= g.height) continue;
      int j = jy * g.width + jx;
      if (ok[size_t(j)] && !seen[size_t(j)]) seen[size_t(j)] = 1, q.push(j);
    }
  }
  return seen;
}

}  // namespace

TEST_CASE("class table: ids, names, colours") {
  CHECK(kNumClasses == 14);
  CHECK(std::string(class_name(0)) == "unknown");
  CHECK(std::string(class_name(7)) == "objects");
  CHECK(std::string(class_name(13)) == "window");
  CHECK(std::string(class_name(255)) == "ignore");
  for (int k = 0; k < kNumClasses; ++k) {
    CHECK(class_by_name(class_name(k)) == k);
    CHECK(class_info(k).id == k);
  }
  CHECK(class_by_name("lamp") == -1);
  std::set<std::vector<int>> colours;
  for (int k = 0; k < kNumClasses; ++k) {
    uint8_t c[3];
    class_color(k, c);
    colours.insert({c[0], c[1], c[2]});
  }
  CHECK(colours.size() == size_t(kNumClasses));  // every class has its own colour
}

TEST_CASE("identities: a fixed set of distinct looks") {
  CHECK(kNumIdentities >= 16);
  for (int i = 0; i < kNumIdentities; ++i)
    for (int j = i + 1; j < kNumIdentities; ++j) {
      const PersonLook &a = person_look(i), &b = person_look(j);
      float d = std::fabs(a.top[0] - b.top[0]) + std::fabs(a.top[1] - b.top[1]) + std::fabs(a.top[2] - b.top[2]);
      int traits = (a.top_pattern != b.top_pattern) + (a.face_pattern != b.face_pattern) +
                   (std::memcmp(a.skin, b.skin, sizeof(a.skin)) != 0) + (std::memcmp(a.hair, b.hair, sizeof(a.hair)) != 0);
      CHECK_MESSAGE((d > 0.05f || traits >= 2), "identities ", i, " and ", j, " look alike");
    }
}

TEST_CASE("generate_world is deterministic") {
  World a = generate_world(42), b = generate_world(42), c = generate_world(43);
  CHECK(same_primitives(a, b));
  CHECK(!same_primitives(a, c));
}

TEST_CASE("generator never fails and its worlds are consistent over 200 seeds") {
  int with_people = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    CAPTURE(seed);
    World w = generate_world(seed * 7919 + 3);
    REQUIRE(w.rooms.size() >= 2);
    REQUIRE(w.rooms.size() <= 6);
    CHECK(!w.window_lights.empty());
    std::set<int> ids;
    bool classes_ok = true;
    for (const Instance& in : w.instances) {
      classes_ok = classes_ok && in.class_id < kNumClasses && in.class_id != kUnknown;
      if (in.identity >= 0) {
        CHECK(in.class_id == kObjects);
        CHECK(in.identity < kNumIdentities);
        CHECK(ids.insert(in.identity).second);  // one person per identity in a world
      }
    }
    CHECK(classes_ok);
    with_people += !ids.empty();
    CHECK(w.identities() == std::vector<int>(ids.begin(), ids.end()));

    // The free-space grid blocks every blocking footprint, and a free agent disc overlaps no
    // blocking footprint.
    const OccupancyGrid& g = w.free_space;
    bool grid_ok = true;
    for (const Instance& in : w.instances) {
      if (!in.blocks) continue;
      float cx = 0.5f * (in.footprint.x0 + in.footprint.x1), cy = 0.5f * (in.footprint.y0 + in.footprint.y1);
      grid_ok = grid_ok && !w.is_free(cx, cy, 0.0f);
    }
    CHECK(grid_ok);
    int free_cells = 0, start = -1;
    bool discs_ok = true;
    for (int iy = 0; iy < g.height; iy += 3)
      for (int ix = 0; ix < g.width; ix += 3) {
        float x = g.x0 + (ix + 0.5f) * g.cell, y = g.y0 + (iy + 0.5f) * g.cell;
        if (!w.is_free(x, y, 0.2f)) continue;
        ++free_cells;
        if (start < 0) start = iy * g.width + ix;
        for (const Instance& in : w.instances) {
          if (!in.blocks) continue;
          float dx = std::max({in.footprint.x0 - x, 0.0f, x - in.footprint.x1});
          float dy = std::max({in.footprint.y0 - y, 0.0f, y - in.footprint.y1});
          discs_ok = discs_ok && dx * dx + dy * dy >= 0.2f * 0.2f - 1e-3f;
        }
        discs_ok = discs_ok && w.room_at(x, y) >= 0;
      }
    CHECK(discs_ok);
    REQUIRE(free_cells > 0);

    // Every room can be reached from every other by an agent of radius 0.18 m (Habitat's):
    // the largest connected region of free space touches every room. (Small pockets walled
    // in by furniture may exist apart from it.)
    std::vector<uint8_t> seen = reachable(w, 0.18f, start);
    for (int tries = 0; tries < 8; ++tries) {
      size_t count = 0;
      for (uint8_t v : seen) count += v;
      if (count * 4 > size_t(free_cells) * 9 * 2) break;  // over half of the free cells
      // Restart from a free cell outside this region.
      for (int iy = 0; iy < g.height; iy += 3)
        for (int ix = 0; ix < g.width; ix += 3) {
          int i = iy * g.width + ix;
          if (!seen[size_t(i)] && w.is_free(g.x0 + (ix + 0.5f) * g.cell, g.y0 + (iy + 0.5f) * g.cell, 0.2f) &&
              (iy * 7 + ix * 13 + tries * 31) % 5 == 0) {
            start = i;
            iy = g.height;
            break;
          }
        }
      seen = reachable(w, 0.18f, start);
    }
    std::vector<bool> room_reached(w.rooms.size(), false);
    for (size_t i = 0; i < seen.size(); ++i)
      if (seen[i] && w.room_map[i] >= 0) room_reached[size_t(w.room_map[i])] = true;
    for (size_t r = 0; r < w.rooms.size(); ++r) CHECK_MESSAGE(room_reached[r], "room ", r, " unreachable");
  }
  CHECK(with_people > 160);  // most apartments have people
}

TEST_CASE("room types: a living room in every apartment, bathrooms in bigger ones") {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    World w = generate_world(seed);
    int living = 0, bath = 0;
    for (const Room& r : w.rooms) living += r.type == RoomType::Living, bath += r.type == RoomType::Bathroom;
    CHECK(living == 1);
    int other = 0;
    for (const Room& r : w.rooms) other += r.type != RoomType::Corridor;
    if (other >= 4) CHECK(bath == 1);
  }
}

TEST_CASE("item kinds: each has its own name and a class") {
  std::set<std::string> names;
  for (int k = 0; k < kNumItemKinds; ++k) {
    const ItemKind kind = ItemKind(k);
    CAPTURE(k);
    CHECK(names.insert(item_name(kind)).second);
    CHECK(item_class(kind) < kNumClasses);
    CHECK(item_class(kind) != kUnknown);
    CHECK(item_class(kind) != kCeiling);
  }
  CHECK(std::string(item_name(ItemKind::CeilingLamp)) == "ceiling lamp");
  CHECK(item_class(ItemKind::Door) == kWall);       // doors and curtains as in the NYU mapping
  CHECK(item_class(ItemKind::Curtain) == kWindow);
  CHECK(item_class(ItemKind::Rug) == kFloor);
  CHECK(item_class(ItemKind::Person) == kObjects);
  CHECK(item_class(ItemKind::Tv) == kTv);
}

TEST_CASE("generated instances: class from kind, one ceiling lamp per room, identities on people") {
  for (uint64_t seed = 0; seed < 40; ++seed) {
    CAPTURE(seed);
    World w = generate_world(seed);
    std::vector<int> lamps(w.rooms.size(), 0);
    for (const Instance& in : w.instances) {
      CHECK(in.class_id == item_class(in.kind));
      CHECK((in.identity >= 0) == (in.kind == ItemKind::Person));
      if (in.kind == ItemKind::CeilingLamp) ++lamps[size_t(in.room)];
    }
    for (int n : lamps) CHECK(n == 1);
  }
}

TEST_CASE("room sides: opposite, turns, spans and the direction into the room") {
  using namespace ulr::worldgen;
  const Rect room = {1, 2, 5, 4};
  for (Side s : kSides) {
    CAPTURE(int(s));
    CHECK(opposite(opposite(s)) == s);
    CHECK(opposite(s) != s);
    CHECK(counterclockwise(clockwise(s)) == s);
    CHECK(clockwise(clockwise(s)) == opposite(s));
    CHECK(runs_along_x(s) == runs_along_x(opposite(s)));
    CHECK(runs_along_x(s) != runs_along_x(clockwise(s)));
    // facing_yaw points the way step_into_room moves.
    Vec3 p = step_into_room({0, 0, 0}, s, 1.0f);
    CHECK(p.x == doctest::Approx(std::cos(facing_yaw(s))).epsilon(1e-6));
    CHECK(p.y == doctest::Approx(std::sin(facing_yaw(s))).epsilon(1e-6));
    // A strip against side s spans [a, b) along it, reaches 0.5 m in and stays in the room.
    const float a = side_start(room, s) + 0.5f, b = side_end(room, s) - 0.5f;
    Rect r = wall_strip(room, s, a, b, 0.5f);
    CHECK((runs_along_x(s) ? r.width() : r.depth()) == doctest::Approx(b - a));
    CHECK((runs_along_x(s) ? r.depth() : r.width()) == doctest::Approx(0.5f));
    CHECK((r.x0 >= room.x0 && r.x1 <= room.x1 && r.y0 >= room.y0 && r.y1 <= room.y1));
    Rect same = against_wall(room, s, a, b - a, 0.5f);
    CHECK((same.x0 == r.x0 && same.y0 == r.y0 && same.depth() == doctest::Approx(r.depth())));
  }
  CHECK(clockwise(Side::South) == Side::West);
  CHECK(counterclockwise(Side::South) == Side::East);
  CHECK(side_start(room, Side::South) == 1);
  CHECK(side_end(room, Side::East) == 4);
  Rect south = wall_strip(room, Side::South, 2, 3, 0.5f);
  CHECK((south.x0 == 2 && south.x1 == 3 && south.y0 == 2 && south.y1 == 2.5f));
  // random_side is one draw of below(4).
  Rng a(9), b(9);
  for (int i = 0; i < 20; ++i) CHECK(int(random_side(a)) == int(b.below(4)));
}
