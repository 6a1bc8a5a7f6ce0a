// World queries, the item table, the fixed identity table, the builder, the spatial indexes and
// the generator's driver. The steps it drives live in world_layout.cpp (floor plan and shell),
// world_furnish.cpp and world_rooms.cpp (furniture) and world_people.cpp.
#include "data/world.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "data/world_builder.h"
#include "engine/error.h"

namespace ulr {

const char* room_type_name(RoomType type) {
  switch (type) {
    case RoomType::Bedroom: return "bedroom";
    case RoomType::Living: return "living room";
    case RoomType::Kitchen: return "kitchen";
    case RoomType::Bathroom: return "bathroom";
    case RoomType::Office: return "office";
    case RoomType::Corridor: return "corridor";
  }
  return "?";
}

namespace {

struct ItemInfo {
  ItemKind kind;
  const char* name;
  uint8_t class_id;
};

// Indexed by ItemKind. Doors count as wall and curtains as window, as in the NYU mapping.
constexpr ItemInfo kItems[] = {
    {ItemKind::Wall, "wall", kWall},
    {ItemKind::Door, "door", kWall},
    {ItemKind::Window, "window", kWindow},
    {ItemKind::Curtain, "curtain", kWindow},
    {ItemKind::CeilingLamp, "ceiling lamp", kObjects},
    {ItemKind::Bed, "bed", kBed},
    {ItemKind::Pillow, "pillow", kObjects},
    {ItemKind::Wardrobe, "wardrobe", kFurniture},
    {ItemKind::Dresser, "dresser", kFurniture},
    {ItemKind::Nightstand, "nightstand", kFurniture},
    {ItemKind::Sofa, "sofa", kSofa},
    {ItemKind::CoffeeTable, "coffee table", kTable},
    {ItemKind::TvStand, "tv stand", kFurniture},
    {ItemKind::Tv, "tv", kTv},
    {ItemKind::Sideboard, "sideboard", kFurniture},
    {ItemKind::FloorLamp, "floor lamp", kObjects},
    {ItemKind::Rug, "rug", kFloor},
    {ItemKind::Counter, "counter", kFurniture},
    {ItemKind::WallCabinet, "wall cabinet", kFurniture},
    {ItemKind::Fridge, "fridge", kFurniture},
    {ItemKind::Sink, "sink", kObjects},
    {ItemKind::DiningTable, "dining table", kTable},
    {ItemKind::Toilet, "toilet", kObjects},
    {ItemKind::Vanity, "vanity", kFurniture},
    {ItemKind::Mirror, "mirror", kObjects},
    {ItemKind::Bathtub, "bathtub", kObjects},
    {ItemKind::LaundryBasket, "laundry basket", kObjects},
    {ItemKind::Cabinet, "cabinet", kFurniture},
    {ItemKind::Desk, "desk", kTable},
    {ItemKind::Monitor, "monitor", kObjects},
    {ItemKind::OfficeChair, "office chair", kChair},
    {ItemKind::FilingCabinet, "filing cabinet", kFurniture},
    {ItemKind::ShoeCabinet, "shoe cabinet", kFurniture},
    {ItemKind::Chair, "chair", kChair},
    {ItemKind::Bookshelf, "bookshelf", kFurniture},
    {ItemKind::Books, "books", kBooks},
    {ItemKind::Object, "object", kObjects},
    {ItemKind::Plant, "plant", kObjects},
    {ItemKind::Box, "box", kObjects},
    {ItemKind::Picture, "picture", kPicture},
    {ItemKind::Person, "person", kObjects},
};
constexpr bool items_in_order() {
  for (int k = 0; k < kNumItemKinds; ++k)
    if (int(kItems[k].kind) != k) return false;
  return true;
}
static_assert(sizeof(kItems) / sizeof(kItems[0]) == kNumItemKinds, "one row per ItemKind");
static_assert(items_in_order(), "kItems is indexed by ItemKind");

}  // namespace

const char* item_name(ItemKind kind) { return kItems[int(kind)].name; }
uint8_t item_class(ItemKind kind) { return kItems[int(kind)].class_id; }

// ---- identities -------------------------------------------------------------------------
// Built once from fixed rules, so identity i looks the same in every world: the shirt hue is
// unique per identity (golden-angle steps), and skin, hair, pattern, face and height cycle
// with co-prime periods so that no two identities share more than one trait.
namespace {

const float kSkin[6][3] = {{0.96f, 0.80f, 0.69f}, {0.90f, 0.70f, 0.55f}, {0.78f, 0.57f, 0.42f},
                           {0.62f, 0.42f, 0.28f}, {0.45f, 0.30f, 0.20f}, {0.30f, 0.20f, 0.13f}};
const float kHair[5][3] = {{0.08f, 0.06f, 0.05f}, {0.35f, 0.22f, 0.12f}, {0.80f, 0.65f, 0.35f},
                           {0.60f, 0.25f, 0.10f}, {0.75f, 0.75f, 0.75f}};

std::vector<PersonLook> make_looks() {
  std::vector<PersonLook> looks(kNumIdentities);
  for (int i = 0; i < kNumIdentities; ++i) {
    PersonLook& p = looks[size_t(i)];
    for (int c = 0; c < 3; ++c) {
      p.skin[c] = kSkin[i % 6][c];
      p.hair[c] = kHair[i % 5][c];
    }
    float hue = std::fmod(i * 137.508f, 360.0f);
    worldgen::hsv_to_rgb(hue, 0.55f + 0.35f * float((i * 7) % 3) / 2.0f, 0.45f + 0.15f * (i % 4),
                         p.top);
    worldgen::hsv_to_rgb(std::fmod(hue + 150.0f + 40.0f * (i % 3), 360.0f), 0.3f, 0.9f - 0.5f * (i % 2),
                         p.top_alt);
    static const float kTrousers[4][3] = {
        {0.12f, 0.15f, 0.30f}, {0.15f, 0.15f, 0.15f}, {0.55f, 0.48f, 0.35f}, {0.30f, 0.32f, 0.35f}};
    for (int c = 0; c < 3; ++c) p.trousers[c] = kTrousers[(i / 2) % 4][c];
    p.top_pattern = worldgen::kOutfitPatterns[i % 7];
    p.top_scale = 0.06f + 0.02f * float(i % 3);
    p.top_seed = uint32_t(i) * 7919u + 1;
    p.face_pattern = i % 4;
    p.height = 1.55f + 0.05f * float((i * 3) % 7);
  }
  return looks;
}

// The traits that stay when the clothes change, spread apart: of every combination of height
// (6 levels), build (3), skin (6), hair colour (5), hair style (4) and face (4), taken in lexicographic order, the
// first, then each time the one farthest (in traits that differ) from all taken so far; on
// ties the one whose levels are taken least often (so every level is used about as often), then
// the first. Outfits are those of make_looks().
std::vector<PersonLook> make_distinct_looks() {
  static const float kHeights[6] = {1.52f, 1.60f, 1.68f, 1.76f, 1.84f, 1.92f};
  static const float kBuilds[3] = {0.8f, 1.0f, 1.25f};
  constexpr int kTraits = 6;
  const int levels[kTraits] = {6, 3, 6, 5, 4, 4};
  std::vector<std::array<int, kTraits>> all, taken;
  for (int a = 0; a < levels[0]; ++a)
    for (int b = 0; b < levels[1]; ++b)
      for (int c = 0; c < levels[2]; ++c)
        for (int d = 0; d < levels[3]; ++d)
          for (int e = 0; e < levels[4]; ++e)
            for (int f = 0; f < levels[5]; ++f) all.push_back({a, b, c, d, e, f});
  std::vector<int> nearest(all.size(), kTraits + 1);  // traits differing from the closest taken one
  std::array<std::array<int, 6>, kTraits> used{};  // how many taken ones have each level
  auto usage = [&](const std::array<int, kTraits>& t) {
    int u = 0;
    for (int k = 0; k < kTraits; ++k) u += used[size_t(k)][size_t(t[size_t(k)])];
    return u;
  };
  for (int i = 0; i < kNumIdentities; ++i) {
    size_t pick = 0;
    for (size_t k = 1; k < all.size(); ++k)
      if (nearest[k] > nearest[pick] || (nearest[k] == nearest[pick] && usage(all[k]) < usage(all[pick])))
        pick = k;
    taken.push_back(all[pick]);
    for (int k = 0; k < kTraits; ++k) ++used[size_t(k)][size_t(all[pick][size_t(k)])];
    for (size_t k = 0; k < all.size(); ++k) {
      int differ = 0;
      for (int t = 0; t < kTraits; ++t) differ += all[k][size_t(t)] != all[pick][size_t(t)];
      nearest[k] = std::min(nearest[k], differ);
    }
  }
  std::vector<PersonLook> looks = make_looks();
  for (int i = 0; i < kNumIdentities; ++i) {
    const std::array<int, kTraits>& t = taken[size_t(i)];
    PersonLook& p = looks[size_t(i)];
    p.height = kHeights[t[0]];
    p.build = kBuilds[t[1]];
    for (int c = 0; c < 3; ++c) p.skin[c] = kSkin[t[2]][c], p.hair[c] = kHair[t[3]][c];
    p.hair_style = t[4];
    p.face_pattern = t[5];
  }
  return looks;
}

}  // namespace

const PersonLook& person_look(int id) {
  static const std::vector<PersonLook> looks = make_looks();
  ULR_CHECK(id >= 0 && id < kNumIdentities, "identity out of range");
  return looks[size_t(id)];
}

const PersonLook& distinct_person_look(int id) {
  static const std::vector<PersonLook> looks = make_distinct_looks();
  ULR_CHECK(id >= 0 && id < kNumIdentities, "identity out of range");
  return looks[size_t(id)];
}

// ---- queries ------------------------------------------------------------------------------

bool World::is_free(float x, float y, float radius) const {
  const OccupancyGrid& g = free_space;
  int cx0 = int(std::floor((x - radius - g.x0) / g.cell));
  int cx1 = int(std::floor((x + radius - g.x0) / g.cell));
  int cy0 = int(std::floor((y - radius - g.y0) / g.cell));
  int cy1 = int(std::floor((y + radius - g.y0) / g.cell));
  float r2 = radius * radius;
  for (int iy = cy0; iy <= cy1; ++iy) {
    for (int ix = cx0; ix <= cx1; ++ix) {
      // Distance from (x, y) to the cell's square; cells the disc does not touch are skipped.
      float qx = std::clamp(x, g.x0 + ix * g.cell, g.x0 + (ix + 1) * g.cell);
      float qy = std::clamp(y, g.y0 + iy * g.cell, g.y0 + (iy + 1) * g.cell);
      if ((qx - x) * (qx - x) + (qy - y) * (qy - y) > r2) continue;
      if (g.blocked(ix, iy)) return false;
    }
  }
  return true;
}

int World::room_at(float x, float y) const {
  const OccupancyGrid& g = free_space;
  int ix = int(std::floor((x - g.x0) / g.cell)), iy = int(std::floor((y - g.y0) / g.cell));
  if (ix < 0 || iy < 0 || ix >= g.width || iy >= g.height) return -1;
  return room_map[size_t(iy) * g.width + ix];
}

std::vector<int> World::identities() const {
  std::vector<int> ids;
  for (const Instance& inst : instances)
    if (inst.identity >= 0) ids.push_back(inst.identity);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

namespace worldgen {

// ---- builder ------------------------------------------------------------------------------

int Builder::material(const Material& m) {
  w.materials.push_back(m);
  return int(w.materials.size()) - 1;
}

int Builder::instance(ItemKind kind, int room, bool blocks, int16_t identity) {
  Instance inst;
  inst.kind = kind;
  inst.class_id = item_class(kind);
  inst.room = room;
  inst.blocks = blocks;
  inst.identity = identity;
  inst.lo = {1e9f, 1e9f, 1e9f};
  inst.hi = {-1e9f, -1e9f, -1e9f};
  w.instances.push_back(inst);
  return int(w.instances.size()) - 1;
}

void Builder::box(int inst, Vec3 lo, Vec3 hi, int mat) {
  Primitive p;
  p.kind = PrimitiveKind::Box;
  p.lo = lo;
  p.hi = hi;
  p.material = mat;
  p.instance = inst;
  w.primitives.push_back(p);
  Instance& in = w.instances[size_t(inst)];
  in.lo = {std::min(in.lo.x, lo.x), std::min(in.lo.y, lo.y), std::min(in.lo.z, lo.z)};
  in.hi = {std::max(in.hi.x, hi.x), std::max(in.hi.y, hi.y), std::max(in.hi.z, hi.z)};
  in.footprint = {in.lo.x, in.lo.y, in.hi.x, in.hi.y};
}

void Builder::cylinder(int inst, float cx, float cy, float radius, float z0, float z1, int mat) {
  box(inst, {cx - radius, cy - radius, z0}, {cx + radius, cy + radius, z1}, mat);
  w.primitives.back().kind = PrimitiveKind::Cylinder;
}

void Builder::sphere(int inst, Vec3 c, float radius, int mat) {
  box(inst, {c.x - radius, c.y - radius, c.z - radius}, {c.x + radius, c.y + radius, c.z + radius},
      mat);
  w.primitives.back().kind = PrimitiveKind::Sphere;
}

// ---- indexes ------------------------------------------------------------------------------

namespace {

// The cells [ix0, ix1] x [iy0, iy1] of a grid that a rectangle or a box touches.
struct CellRange {
  int ix0, iy0, ix1, iy1;
};

CellRange free_space_cells(const OccupancyGrid& g, const Rect& r) {
  return {std::max(0, int(std::floor((r.x0 - g.x0) / g.cell))),
          std::max(0, int(std::floor((r.y0 - g.y0) / g.cell))),
          std::min(g.width - 1, int(std::ceil((r.x1 - g.x0) / g.cell)) - 1),
          std::min(g.height - 1, int(std::ceil((r.y1 - g.y0) / g.cell)) - 1)};
}

// Free-space grid and room map, 5 cm cells over the apartment plus a margin: free inside the
// rooms (walls included), blocked under every blocking instance and outside.
void build_free_space(World& w) {
  OccupancyGrid& g = w.free_space;
  g.cell = 0.05f;
  g.x0 = w.bounds.x0 - 0.1f;
  g.y0 = w.bounds.y0 - 0.1f;
  g.width = int(std::ceil((w.bounds.width() + 0.2f) / g.cell));
  g.height = int(std::ceil((w.bounds.depth() + 0.2f) / g.cell));
  g.occupied.assign(size_t(g.width) * g.height, 1);
  w.room_map.assign(size_t(g.width) * g.height, -1);
  for (size_t r = 0; r < w.rooms.size(); ++r) {
    // Rooms own their half of the walls, so the room map covers the full cell of the plan.
    Rect outer = w.rooms[r].rect;
    outer.x0 -= kWallHalf, outer.y0 -= kWallHalf, outer.x1 += kWallHalf, outer.y1 += kWallHalf;
    const CellRange c = free_space_cells(g, outer);
    for (int iy = c.iy0; iy <= c.iy1; ++iy)
      for (int ix = c.ix0; ix <= c.ix1; ++ix) {
        w.room_map[size_t(iy) * g.width + ix] = int16_t(r);
        g.occupied[size_t(iy) * g.width + ix] = 0;
      }
  }
  for (const Instance& inst : w.instances) {
    if (!inst.blocks) continue;
    const CellRange c = free_space_cells(g, inst.footprint);
    for (int iy = c.iy0; iy <= c.iy1; ++iy)
      for (int ix = c.ix0; ix <= c.ix1; ++ix) g.occupied[size_t(iy) * g.width + ix] = 1;
  }
}

// Primitives sorted by instance (stable), so each instance owns a contiguous range.
void group_primitives(World& w) {
  std::stable_sort(w.primitives.begin(), w.primitives.end(),
                   [](const Primitive& a, const Primitive& b) { return a.instance < b.instance; });
  PrimitiveGrid& pg = w.grid;
  pg.instance_first.assign(w.instances.size() + 1, 0);
  for (const Primitive& p : w.primitives) ++pg.instance_first[size_t(p.instance) + 1];
  for (size_t k = 1; k < pg.instance_first.size(); ++k) pg.instance_first[k] += pg.instance_first[k - 1];
}

CellRange instance_grid_cells(const PrimitiveGrid& pg, const Instance& in) {
  return {std::clamp(int(std::floor((in.lo.x - pg.x0) / pg.cell)), 0, pg.width - 1),
          std::clamp(int(std::floor((in.lo.y - pg.y0) / pg.cell)), 0, pg.height - 1),
          std::clamp(int(std::floor((in.hi.x - pg.x0) / pg.cell)), 0, pg.width - 1),
          std::clamp(int(std::floor((in.hi.y - pg.y0) / pg.cell)), 0, pg.height - 1)};
}

// Instance grid, 0.5 m cells, listing every instance that has primitives in each cell its box
// touches: counting pass, prefix sum, filling pass.
void build_instance_grid(World& w) {
  PrimitiveGrid& pg = w.grid;
  pg.cell = 0.5f;
  pg.x0 = w.bounds.x0 - 0.25f;
  pg.y0 = w.bounds.y0 - 0.25f;
  pg.width = int(std::ceil((w.bounds.width() + 0.5f) / pg.cell));
  pg.height = int(std::ceil((w.bounds.depth() + 0.5f) / pg.cell));
  std::vector<int> count(size_t(pg.width) * pg.height + 1, 0);
  auto has_prims = [&](size_t k) { return pg.instance_first[k + 1] > pg.instance_first[k]; };
  for (size_t k = 0; k < w.instances.size(); ++k) {
    if (!has_prims(k)) continue;
    const CellRange c = instance_grid_cells(pg, w.instances[k]);
    for (int iy = c.iy0; iy <= c.iy1; ++iy)
      for (int ix = c.ix0; ix <= c.ix1; ++ix) ++count[size_t(iy) * pg.width + ix];
  }
  pg.start.assign(count.size(), 0);
  for (size_t c = 1; c < count.size(); ++c) pg.start[c] = pg.start[c - 1] + count[c - 1];
  pg.items.assign(size_t(pg.start.back()), 0);
  std::vector<int> fill(pg.start.begin(), pg.start.end() - 1);
  for (size_t k = 0; k < w.instances.size(); ++k) {
    if (!has_prims(k)) continue;
    const CellRange c = instance_grid_cells(pg, w.instances[k]);
    for (int iy = c.iy0; iy <= c.iy1; ++iy)
      for (int ix = c.ix0; ix <= c.ix1; ++ix) pg.items[size_t(fill[size_t(iy) * pg.width + ix]++)] = int(k);
  }
}

}  // namespace

void index_world(World& w) {
  build_free_space(w);
  group_primitives(w);
  build_instance_grid(w);
}

}  // namespace worldgen

// ---- driver -------------------------------------------------------------------------------

World generate_world(uint64_t seed) {
  using namespace worldgen;
  Rng rng(seed, 0x5eed);
  int wanted = 2 + int(rng.below(5));  // 2..6 rooms
  // Each attempt starts from an empty world; later attempts ask for fewer rooms, which always
  // fit, so an unlucky seed degrades to a simpler apartment instead of looping.
  for (int attempt = 0; attempt < 24; ++attempt) {
    int n_rooms = std::max(2, wanted - attempt / 6);
    World w;
    w.seed = seed;
    Builder b(w, rng);
    std::vector<RoomPlan> plans;
    if (!build_layout(b, n_rooms, plans)) continue;
    for (RoomPlan& plan : plans) furnish_room(b, plan);
    place_people(b, plans);
    index_world(w);
    return w;
  }
  throw Error("world seed " + std::to_string(seed) + ": could not lay out an apartment in 24 attempts");
}

}  // namespace ulr
