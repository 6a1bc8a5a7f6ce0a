// Apartment layout: the floor plan (rooms tiling a rectangle, optionally along a corridor),
// room types, doorways, windows and the room shells (walls, window frames, curtains, door
// leaves, ceiling lamps). build_layout runs the phases below in order; each draws from the
// generator's one Rng, so the order of the phases and of the draws within them fixes the world.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "data/world_builder.h"

namespace ulr::worldgen {
namespace {

// A cell of the floor plan: a room, walls included (each room owns half of each wall).
struct Cell {
  Rect r;
  bool corridor = false;
};

// Two cells that share at least 1.1 m of wall, where a doorway can go.
struct Edge {
  int a, b;        // cells; a is below/left of b
  Side side_a;     // side of a that faces b
  float lo, hi;    // shared span
};

float area(const Rect& r) { return r.width() * r.depth(); }

// ---- phase 1: the outline -----------------------------------------------------------------

// The apartment's extent and ceiling height: about 11-16 m^2 per room.
void choose_outline(Builder& b, int n_rooms) {
  Rng& rng = b.rng;
  float area = float(n_rooms) * rng.uniform(11.0f, 16.0f);
  float aspect = rng.uniform(1.0f, 1.7f);
  float W = std::sqrt(area * aspect), D = area / W;
  b.w.bounds = {0, 0, W, D};
  b.w.ceiling_height = rng.uniform(2.5f, 2.8f);
}

// ---- phase 2: cells -----------------------------------------------------------------------

// Splits `cells[index]` along its longer side; false when no cut leaves both parts >= min_side.
bool split_cell(std::vector<Cell>& cells, size_t index, Rng& rng, float min_side) {
  Rect r = cells[index].r;
  bool along_x = r.width() >= r.depth();
  float len = along_x ? r.width() : r.depth();
  if (len < 2 * min_side) return false;
  for (int tries = 0; tries < 10; ++tries) {
    float cut = len * rng.uniform(0.35f, 0.65f);
    if (cut < min_side || len - cut < min_side) continue;
    Rect a = r, b = r;
    if (along_x) a.x1 = b.x0 = r.x0 + cut;
    else a.y1 = b.y0 = r.y0 + cut;
    cells[index].r = a;
    cells.push_back({b, false});
    return true;
  }
  return false;
}

// Splits a strip into k cells across its long axis.
void split_strip(std::vector<Cell>& cells, Rect r, int k, bool along_x, Rng& rng) {
  std::vector<float> weights(static_cast<size_t>(k));
  float sum = 0;
  for (float& w : weights) sum += (w = rng.uniform(0.8f, 1.2f));
  float pos = along_x ? r.x0 : r.y0, len = along_x ? r.width() : r.depth();
  for (int i = 0; i < k; ++i) {
    Rect c = r;
    float next = (i + 1 == k) ? (along_x ? r.x1 : r.y1) : pos + len * weights[size_t(i)] / sum;
    if (along_x) c.x0 = pos, c.x1 = next;
    else c.y0 = pos, c.y1 = next;
    cells.push_back({c, false});
    pos = next;
  }
}

// A corridor across the middle with rooms in a row on either side; false when they would be
// too narrow.
bool corridor_cells(const Rect& bounds, int n_rooms, Rng& rng, std::vector<Cell>& cells) {
  const float W = bounds.x1, D = bounds.y1;
  float cw = rng.uniform(1.2f, 1.5f);
  float cy = D * rng.uniform(0.42f, 0.58f);
  Rect c = {0, cy - cw / 2, W, cy + cw / 2};
  cells.push_back({c, true});
  int rest = n_rooms - 1, ka = rest / 2, kb = rest - ka;
  if (rng.uniform() < 0.5f) std::swap(ka, kb);
  if (W / float(std::max(ka, kb)) < 2.2f) return false;
  split_strip(cells, {0, 0, W, c.y0}, ka, true, rng);
  split_strip(cells, {0, c.y1, W, D}, kb, true, rng);
  return true;
}

// Splits the largest cell that can be split until there are n_rooms; false when none can.
bool split_cells(const Rect& bounds, int n_rooms, Rng& rng, std::vector<Cell>& cells) {
  cells.push_back({bounds, false});
  while (int(cells.size()) < n_rooms) {
    std::vector<size_t> order(cells.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](size_t i, size_t j) { return area(cells[i].r) > area(cells[j].r); });
    bool ok = false;
    for (size_t i : order)
      if ((ok = split_cell(cells, i, rng, 2.0f))) break;
    if (!ok) return false;
  }
  return true;
}

// The floor plan: n_rooms cells tiling the outline, one of them perhaps a corridor.
bool plan_cells(const Rect& bounds, int n_rooms, Rng& rng, std::vector<Cell>& cells) {
  bool corridor = n_rooms >= 4 && rng.uniform() < 0.6f && bounds.y1 >= 6.2f;
  return corridor ? corridor_cells(bounds, n_rooms, rng, cells)
                  : split_cells(bounds, n_rooms, rng, cells);
}

// ---- phase 3: room types ------------------------------------------------------------------

// By size: the largest is the living room, the smallest the bathroom.
std::vector<RoomType> assign_room_types(const std::vector<Cell>& cells, Rng& rng) {
  std::vector<int> order;
  for (int i = 0; i < int(cells.size()); ++i)
    if (!cells[size_t(i)].corridor) order.push_back(i);
  std::sort(order.begin(), order.end(),
            [&](int i, int j) { return area(cells[size_t(i)].r) > area(cells[size_t(j)].r); });
  static const RoomType kTypes[6][6] = {
      {RoomType::Living},
      {RoomType::Living, RoomType::Bedroom},
      {RoomType::Living, RoomType::Bedroom, RoomType::Bathroom},
      {RoomType::Living, RoomType::Kitchen, RoomType::Bedroom, RoomType::Bathroom},
      {RoomType::Living, RoomType::Bedroom, RoomType::Kitchen, RoomType::Office, RoomType::Bathroom},
      {RoomType::Living, RoomType::Bedroom, RoomType::Kitchen, RoomType::Bedroom, RoomType::Office,
       RoomType::Bathroom}};
  const int m = int(order.size());
  std::vector<RoomType> types(cells.size(), RoomType::Corridor);
  std::vector<RoomType> pick(kTypes[m - 1], kTypes[m - 1] + m);
  if (m >= 4 && rng.uniform() < 0.5f) std::swap(pick[1], pick[2]);  // kitchen or bedroom larger
  if (m == 2 && rng.uniform() < 0.35f) pick[1] = RoomType::Kitchen;
  if (m == 3 && rng.uniform() < 0.3f) pick[2] = RoomType::Office;
  for (int k = 0; k < m; ++k) types[size_t(order[size_t(k)])] = pick[size_t(k)];
  return types;
}

// ---- phase 4: adjacency -------------------------------------------------------------------

std::vector<Edge> shared_walls(const std::vector<Cell>& cells) {
  std::vector<Edge> edges;
  const float eps = 1e-3f;
  for (int i = 0; i < int(cells.size()); ++i)
    for (int j = 0; j < int(cells.size()); ++j) {
      const Rect &a = cells[size_t(i)].r, &c = cells[size_t(j)].r;
      if (std::fabs(a.x1 - c.x0) < eps) {
        float lo = std::max(a.y0, c.y0), hi = std::min(a.y1, c.y1);
        if (hi - lo >= 1.1f) edges.push_back({i, j, Side::East, lo, hi});
      }
      if (std::fabs(a.y1 - c.y0) < eps) {
        float lo = std::max(a.x0, c.x0), hi = std::min(a.x1, c.x1);
        if (hi - lo >= 1.1f) edges.push_back({i, j, Side::North, lo, hi});
      }
    }
  return edges;
}

// ---- phase 5: which walls get doorways ----------------------------------------------------

int find(std::vector<int>& parent, int i) {
  while (parent[size_t(i)] != i) i = parent[size_t(i)] = parent[size_t(parent[size_t(i)])];
  return i;
}

// A spanning tree by Kruskal (corridor and living-room edges first, bathroom edges last) plus
// a few extra doorways; false when the cells cannot all be joined.
bool choose_doorways(const std::vector<Edge>& edges, const std::vector<RoomType>& types, Rng& rng,
                     std::vector<Edge>& doors) {
  auto rank = [&](const Edge& e) {
    RoomType ta = types[size_t(e.a)], tb = types[size_t(e.b)];
    if (ta == RoomType::Bathroom || tb == RoomType::Bathroom) return 2.0f + rng.uniform();
    if (ta == RoomType::Corridor || tb == RoomType::Corridor || ta == RoomType::Living ||
        tb == RoomType::Living)
      return rng.uniform();
    return 1.0f + rng.uniform();
  };
  std::vector<std::pair<float, size_t>> ranked;
  for (size_t e = 0; e < edges.size(); ++e) ranked.push_back({rank(edges[e]), e});
  std::sort(ranked.begin(), ranked.end());
  std::vector<int> parent(types.size());
  std::iota(parent.begin(), parent.end(), 0);
  int joined = 1;
  for (const auto& [score, e] : ranked) {
    int ra = find(parent, edges[e].a), rb = find(parent, edges[e].b);
    bool extra = ra == rb && score < 1.0f && rng.uniform() < 0.25f;
    if (ra != rb || extra) {
      doors.push_back(edges[e]);
      if (ra != rb) parent[size_t(ra)] = rb, ++joined;
    }
  }
  return joined == int(types.size());
}

// ---- phase 6: rooms -----------------------------------------------------------------------

// The wallpaper's second colour, 70 % of its paint and 30 % of an accent. The blend is written
// as explicit fused multiply-adds, in the order in which the compiler happened to fuse it when
// these apartments were first generated, so that they stay bit-identical however the compiler
// contracts or vectorizes the code around it.
void wallpaper_alt(Material& wall, const Material& accent) {
  wall.alt[0] = std::fma(0.3f, accent.base[0], 0.7f * wall.base[0]);
  wall.alt[1] = std::fma(0.7f, wall.base[1], 0.3f * accent.base[1]);
  wall.alt[2] = std::fma(0.7f, wall.base[2], 0.3f * accent.base[2]);
}

// Floor, wall and ceiling materials for a room of `type`, added to the world in that order.
void room_materials(Builder& b, Room& room) {
  Rng& rng = b.rng;
  Material floor, wall, ceiling;
  float u = rng.uniform();
  if (room.type == RoomType::Bathroom || (room.type == RoomType::Kitchen && u < 0.6f))
    floor = u < 0.8f ? tiles(rng) : stone(rng);
  else floor = u < 0.45f ? wood(rng) : u < 0.6f ? tiles(rng) : u < 0.8f ? fabric(rng) : stone(rng);
  u = rng.uniform();
  if (room.type == RoomType::Bathroom && u < 0.6f) wall = tiles(rng);
  else if (u < 0.7f) wall = paint(rng);
  else if (u < 0.9f) {
    wall = paint(rng);  // wallpaper: a paint colour in a pattern
    static const Texture kPaper[4] = {Texture::Stripes, Texture::Dots, Texture::Plaid, Texture::Checker};
    wall.texture = kPaper[rng.below(4)];
    Material accent = fabric(rng);
    wallpaper_alt(wall, accent);
    wall.scale = rng.uniform(0.08f, 0.3f);
  } else wall = u < 0.95f ? wood(rng) : stone(rng);
  ceiling = rng.uniform() < 0.85f ? paint(rng) : any_surface(rng);
  if (ceiling.texture != Texture::Wood)
    for (int k = 0; k < 3; ++k) ceiling.base[k] = ceiling.alt[k] = 0.25f * ceiling.base[k] + 0.75f * 0.93f;
  room.floor_material = b.material(floor);
  room.wall_material = b.material(wall);
  room.ceiling_material = b.material(ceiling);
}

// One room and one plan per cell: the room's inner extent lies half a wall inside its cell.
void make_rooms(Builder& b, const std::vector<Cell>& cells, const std::vector<RoomType>& types,
                std::vector<RoomPlan>& plans) {
  World& w = b.w;
  w.rooms.clear();
  plans.assign(cells.size(), RoomPlan());
  for (size_t i = 0; i < cells.size(); ++i) {
    Room room;
    room.type = types[i];
    const Rect& c = cells[i].r;
    room.rect = {c.x0 + kWallHalf, c.y0 + kWallHalf, c.x1 - kWallHalf, c.y1 - kWallHalf};
    room_materials(b, room);
    room.lamp = {0.5f * (room.rect.x0 + room.rect.x1), 0.5f * (room.rect.y0 + room.rect.y1),
                 w.ceiling_height - 0.3f};
    w.rooms.push_back(room);
    plans[i].room = int(i);
    plans[i].inner = room.rect;
  }
}

// ---- phase 7: doorways --------------------------------------------------------------------

// A doorway somewhere along each chosen shared wall, in both rooms' plans; false when a wall
// is too short for one.
bool place_doorways(const std::vector<Edge>& doors, Rng& rng, std::vector<RoomPlan>& plans) {
  for (const Edge& e : doors) {
    float dw = rng.uniform(0.8f, 0.95f);
    float lo = e.lo + kWallHalf + 0.15f, hi = e.hi - kWallHalf - 0.15f - dw;
    if (hi < lo) return false;
    float a = rng.uniform(lo, hi);
    plans[size_t(e.a)].doors.push_back({e.side_a, a, a + dw});
    plans[size_t(e.b)].doors.push_back({opposite(e.side_a), a, a + dw});
  }
  return true;
}

// ---- phase 8: windows ---------------------------------------------------------------------

// Whether `side` of `cell` lies on the apartment's outline.
bool on_outline(const Rect& cell, const Rect& bounds, Side side) {
  const float eps = 1e-3f;
  switch (side) {
    case Side::South: return cell.y0 < bounds.y0 + eps;
    case Side::East: return cell.x1 > bounds.x1 - eps;
    case Side::North: return cell.y1 > bounds.y1 - eps;
    case Side::West: return cell.x0 < bounds.x0 + eps;
  }
  return false;
}

// Windows on a room's outer walls: its longest outer wall always gets one when it is long
// enough, the others usually; long walls may get two.
void place_windows(const Rect& cell, const Rect& bounds, bool bathroom, Rng& rng, RoomPlan& plan) {
  Side longest = Side::South;
  float best = 0;
  for (Side s : kSides) {
    float len = side_end(plan.inner, s) - side_start(plan.inner, s);
    if (on_outline(cell, bounds, s) && len > best) best = len, longest = s;
  }
  for (Side s : kSides) {
    float len = side_end(plan.inner, s) - side_start(plan.inner, s);
    if (!on_outline(cell, bounds, s) || len < 1.4f || (s != longest && rng.uniform() < 0.35f)) continue;
    int count = (len > 4.5f && rng.uniform() < 0.5f) ? 2 : 1;
    for (int k = 0; k < count; ++k) {
      float ww = bathroom ? rng.uniform(0.5f, 0.8f) : rng.uniform(0.9f, std::min(2.2f, len / count - 0.5f));
      float slot0 = side_start(plan.inner, s) + len * k / count, slot = len / count;
      if (ww < 0.5f || slot < ww + 0.4f) continue;
      float a = slot0 + rng.uniform(0.2f, slot - ww - 0.2f);
      plan.windows.push_back({s, a, a + ww});
    }
  }
}

// ---- phase 9: room shells -----------------------------------------------------------------

// A slab of the half wall on `side` of `cell`: span [a, b) along the side, height [z0, z1),
// from inset0 to inset1 metres in from the cell's edge.
struct Slab {
  Vec3 lo, hi;
};
Slab wall_slab(const Rect& c, Side side, float a, float b, float z0, float z1, float inset0, float inset1) {
  switch (side) {
    case Side::South: return {{a, c.y0 + inset0, z0}, {b, c.y0 + inset1, z1}};
    case Side::East: return {{c.x1 - inset1, a, z0}, {c.x1 - inset0, b, z1}};
    case Side::North: return {{a, c.y1 - inset1, z0}, {b, c.y1 - inset0, z1}};
    case Side::West: return {{c.x0 + inset0, a, z0}, {c.x0 + inset1, b, z1}};
  }
  return {};
}

// What build_room_shell works on: one room, its cell, its plan and its window-frame material.
struct Shell {
  Builder& b;
  int room;
  const Rect& cell;
  RoomPlan& plan;
  int frame_material;
  void box(int inst, Side side, float a, float bb, float z0, float z1, float inset0, float inset1,
           int mat) const {
    Slab s = wall_slab(cell, side, a, bb, z0, z1, inset0, inset1);
    b.box(inst, s.lo, s.hi, mat);
  }
  // A piece of solid wall; empty pieces are left out.
  void wall(Side side, float a, float bb, float z0, float z1, bool blocks) const {
    if (bb - a < 1e-3f || z1 - z0 < 1e-3f) return;
    int inst = b.instance(ItemKind::Wall, room, blocks);
    box(inst, side, a, bb, z0, z1, 0.0f, kWallHalf, b.w.rooms[size_t(room)].wall_material);
  }
};

// Curtains on both sides of the window [a, b) on `side`, to the floor (and blocking) or to just
// below the sill.
void add_curtains(const Shell& sh, Side side, float a, float b, float sill, float top) {
  Builder& bld = sh.b;
  Rng& rng = bld.rng;
  const float H = bld.w.ceiling_height;
  int cm = bld.material(fabric(rng));
  bool long_ = rng.uniform() < 0.5f;
  float z0 = long_ ? 0.02f : std::max(0.02f, sill - 0.1f), cw = rng.uniform(0.2f, 0.35f);
  for (int k = 0; k < 2; ++k) {
    float a0 = k == 0 ? a - cw + 0.08f : b - 0.08f;
    a0 = std::clamp(a0, side_start(sh.plan.inner, side), side_end(sh.plan.inner, side) - cw);
    int cur = bld.instance(ItemKind::Curtain, sh.room, long_);
    sh.box(cur, side, a0, a0 + cw, z0, std::min(H - 0.05f, top + 0.12f), kWallHalf + 0.03f,
           kWallHalf + 0.09f, cm);
    if (long_) sh.plan.take(bld.w.instances[size_t(cur)].footprint);
  }
}

// The window [a, b) on `side`: wall below the sill and above the top, a pane showing the
// outdoors in a frame (a mullion across wide ones), a light just inside, maybe curtains.
void add_window(const Shell& sh, Side side, float a, float b) {
  Builder& bld = sh.b;
  Rng& rng = bld.rng;
  const float H = bld.w.ceiling_height;
  const bool bath = bld.w.rooms[size_t(sh.room)].type == RoomType::Bathroom;
  float sill = bath ? rng.uniform(1.1f, 1.4f) : rng.uniform() < 0.15f ? 0.1f : rng.uniform(0.6f, 1.0f);
  float top = std::min(H - 0.15f, rng.uniform(2.0f, 2.3f));
  sh.wall(side, a, b, 0, sill, true);
  sh.wall(side, a, b, top, H, false);
  sh.plan.sill = std::min(sh.plan.sill, sill);
  Material glass;
  glass.texture = Texture::Window;
  glass.emissive = 1.0f;
  glass.seed = rng.next_u32();
  int win = bld.instance(ItemKind::Window, sh.room, true);
  Slab pane = wall_slab(sh.cell, side, a, b, sill, top, 0.0f, 0.02f);
  bld.box(win, pane.lo, pane.hi, bld.material(glass));
  const float f = 0.05f;
  const int frame = sh.frame_material;
  sh.box(win, side, a, b, sill, sill + f, 0.0f, 0.07f, frame);
  sh.box(win, side, a, b, top - f, top, 0.0f, 0.05f, frame);
  sh.box(win, side, a, a + f, sill, top, 0.0f, 0.05f, frame);
  sh.box(win, side, b - f, b, sill, top, 0.0f, 0.05f, frame);
  if (b - a > 1.0f) {
    float m0 = 0.5f * (a + b) - 0.025f;
    sh.box(win, side, m0, m0 + f, sill, top, 0.0f, 0.05f, frame);
  }
  Vec3 centre = {0.5f * (pane.lo.x + pane.hi.x), 0.5f * (pane.lo.y + pane.hi.y), 0.5f * (sill + top)};
  bld.w.window_lights.push_back(step_into_room(centre, side, 0.3f));
  if (!bath && rng.uniform() < 0.5f) add_curtains(sh, side, a, b, sill, top);
}

// The half wall on `side`, left to right, with gaps for its doorways and windows.
void build_wall_side(const Shell& sh, Side side) {
  const float H = sh.b.w.ceiling_height;
  struct Gap { float a, b; bool door; };
  std::vector<Gap> gaps;
  for (const Opening& o : sh.plan.doors) if (o.side == side) gaps.push_back({o.a, o.b, true});
  for (const Opening& o : sh.plan.windows) if (o.side == side) gaps.push_back({o.a, o.b, false});
  std::sort(gaps.begin(), gaps.end(), [](const Gap& x, const Gap& y) { return x.a < y.a; });
  float pos = side_start(sh.cell, side), end = side_end(sh.cell, side);
  for (const Gap& g : gaps) {
    sh.wall(side, pos, g.a, 0, H, true);
    if (g.door) {
      sh.wall(side, g.a, g.b, kDoorHeight, H, false);
      sh.plan.keep_clear.push_back(against_wall(sh.plan.inner, side, g.a - 0.1f, g.b - g.a + 0.2f, 0.9f));
    } else {
      add_window(sh, side, g.a, g.b);
    }
    pos = g.b;
  }
  sh.wall(side, pos, end, 0, H, true);
}

// Open door leaves (a door is "wall" in the NYU mapping) against the wall beside about half of
// the doorways, where they clash with nothing and keep the paths open.
void add_door_leaves(Builder& b, RoomPlan& plan) {
  Rng& rng = b.rng;
  for (const Opening& d : plan.doors) {
    if (rng.uniform() < 0.5f) continue;
    bool hinge_low = rng.uniform() < 0.5f;
    float len = d.b - d.a, h = hinge_low ? d.a : d.b;
    const float t = 0.04f;
    Rect leaf = wall_strip(plan.inner, d.side, hinge_low ? h : h - t, hinge_low ? h + t : h, len);
    bool clash = false;
    for (const Rect& r : plan.taken) clash = clash || leaf.overlaps(r, 0.02f);
    if (clash || !plan.keeps_paths(leaf)) continue;
    int door = b.instance(ItemKind::Door, plan.room, true);
    b.box(door, {leaf.x0, leaf.y0, 0.01f}, {leaf.x1, leaf.y1, kDoorHeight - 0.02f},
          b.material(rng.uniform() < 0.6f ? wood(rng) : paint(rng)));
    plan.take(leaf);
  }
}

// The ceiling lamp: a shade hanging on a cord (objects, above head height).
void add_ceiling_lamp(Builder& b, int room) {
  Rng& rng = b.rng;
  const float H = b.w.ceiling_height;
  const Vec3 at = b.w.rooms[size_t(room)].lamp;
  int lamp = b.instance(ItemKind::CeilingLamp, room, false);
  Material shade = rng.uniform() < 0.5f ? paint(rng) : fabric(rng);
  shade.emissive = 0.6f;
  float lr = rng.uniform(0.12f, 0.25f);
  b.cylinder(lamp, at.x, at.y, lr, H - 0.42f, H - 0.25f, b.material(shade));
  b.cylinder(lamp, at.x, at.y, 0.01f, H - 0.25f, H, b.material(plastic(rng)));
}

// Each room builds its half of each wall, its windows, door leaves and its lamp.
void build_room_shell(Builder& b, const Rect& cell, RoomPlan& plan) {
  Rng& rng = b.rng;
  int frame_mat = b.material(rng.uniform() < 0.6f ? paint(rng) : wood(rng));
  for (int k = 0; k < 3; ++k) b.w.materials[size_t(frame_mat)].base[k] = std::max(b.w.materials[size_t(frame_mat)].base[k], 0.35f);
  const Shell shell{b, plan.room, cell, plan, frame_mat};
  for (Side s : kSides) build_wall_side(shell, s);
  add_door_leaves(b, plan);
  add_ceiling_lamp(b, plan.room);
}

}  // namespace

// The nine phases, in the order of the sections above.
bool build_layout(Builder& b, int n_rooms, std::vector<RoomPlan>& plans) {
  Rng& rng = b.rng;
  choose_outline(b, n_rooms);
  std::vector<Cell> cells;
  if (!plan_cells(b.w.bounds, n_rooms, rng, cells)) return false;
  const std::vector<RoomType> types = assign_room_types(cells, rng);
  std::vector<Edge> doors;
  if (!choose_doorways(shared_walls(cells), types, rng, doors)) return false;
  make_rooms(b, cells, types, plans);
  if (!place_doorways(doors, rng, plans)) return false;
  for (size_t i = 0; i < cells.size(); ++i) {
    plans[i].sill = b.w.ceiling_height;  // each window built in phase 9 lowers it to its sill
    if (!cells[i].corridor)
      place_windows(cells[i].r, b.w.bounds, types[i] == RoomType::Bathroom, rng, plans[i]);
  }
  for (size_t i = 0; i < cells.size(); ++i) build_room_shell(b, cells[i].r, plans[i]);
  return true;
}

}  // namespace ulr::worldgen
