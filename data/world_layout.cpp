// Apartment layout: the floor plan (rooms tiling a rectangle, optionally along a corridor),
// room types, doorways, windows and walls; the material palettes; the room planner.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "data/world_builder.h"

namespace ulr::worldgen {

// ---- palettes -----------------------------------------------------------------------------

void hsv_to_rgb(float h, float s, float v, float rgb[3]) {
  h = std::fmod(std::fmod(h, 360.0f) + 360.0f, 360.0f) / 60.0f;
  int i = int(h);
  float f = h - float(i), p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  float r, g, b;
  switch (i) {
    case 0: r = v, g = t, b = p; break;
    case 1: r = q, g = v, b = p; break;
    case 2: r = p, g = v, b = t; break;
    case 3: r = p, g = q, b = v; break;
    case 4: r = t, g = p, b = v; break;
    default: r = v, g = p, b = q; break;
  }
  rgb[0] = r, rgb[1] = g, rgb[2] = b;
}

namespace {
void set_hsv(float out[3], float h, float s, float v) { hsv_to_rgb(h, std::clamp(s, 0.f, 1.f), std::clamp(v, 0.f, 1.f), out); }
}  // namespace

Material wood(Rng& rng) {
  Material m;
  float h = rng.uniform(18, 42), s = rng.uniform(0.3f, 0.7f), v = rng.uniform(0.25f, 0.9f);
  set_hsv(m.base, h, s, v);
  set_hsv(m.alt, h - 4, s + 0.1f, v * rng.uniform(0.6f, 0.8f));
  m.texture = Texture::Wood;
  m.scale = rng.uniform(0.02f, 0.07f);
  m.seed = rng.next_u32();
  return m;
}

Material paint(Rng& rng) {
  Material m;
  float h = rng.uniform(0, 360), s = rng.uniform() < 0.6f ? rng.uniform(0, 0.15f) : rng.uniform(0.15f, 0.5f);
  float v = rng.uniform(0.5f, 0.95f);
  set_hsv(m.base, h, s, v);
  set_hsv(m.alt, h, s, v * 0.9f);
  m.texture = rng.uniform() < 0.5f ? Texture::Solid : Texture::Noise;
  m.scale = rng.uniform(0.3f, 0.8f);
  m.seed = rng.next_u32();
  return m;
}

Material fabric(Rng& rng) {
  Material m;
  float h = rng.uniform(0, 360), s = rng.uniform(0.1f, 0.8f), v = rng.uniform(0.2f, 0.85f);
  set_hsv(m.base, h, s, v);
  float u = rng.uniform();
  if (u < 0.5f) set_hsv(m.alt, h, s, v * 0.75f);
  else set_hsv(m.alt, h + rng.uniform(60, 300), rng.uniform(0.1f, 0.7f), rng.uniform(0.3f, 0.95f));
  static const Texture kTex[6] = {Texture::Fabric, Texture::Fabric, Texture::Solid,
                                  Texture::Stripes, Texture::Checker, Texture::Plaid};
  m.texture = kTex[rng.below(6)];
  if (rng.uniform() < 0.1f) m.texture = Texture::Dots;
  m.scale = rng.uniform(0.04f, 0.2f);
  m.seed = rng.next_u32();
  return m;
}

Material plastic(Rng& rng) {
  Material m;
  float h = rng.uniform(0, 360), s = rng.uniform() < 0.4f ? rng.uniform(0, 0.1f) : rng.uniform(0.3f, 0.9f);
  float v = rng.uniform(0.1f, 0.95f);
  set_hsv(m.base, h, s, v);
  set_hsv(m.alt, h, s, v * 0.8f);
  m.texture = Texture::Solid;
  m.scale = 0.3f;
  m.seed = rng.next_u32();
  return m;
}

Material tiles(Rng& rng) {
  Material m;
  float h = rng.uniform(0, 360), s = rng.uniform(0, 0.4f), v = rng.uniform(0.45f, 0.95f);
  set_hsv(m.base, h, s, v);
  set_hsv(m.alt, h, s * 0.3f, rng.uniform() < 0.5f ? v * 0.7f : std::min(1.0f, v * 1.2f));
  m.texture = Texture::Tiles;
  m.scale = rng.uniform(0.1f, 0.45f);
  m.seed = rng.next_u32();
  return m;
}

Material stone(Rng& rng) {
  Material m;
  float h = rng.uniform(20, 60), s = rng.uniform(0, 0.25f), v = rng.uniform(0.35f, 0.85f);
  set_hsv(m.base, h, s, v);
  set_hsv(m.alt, h + rng.uniform(-20, 20), s, v * rng.uniform(0.6f, 0.9f));
  m.texture = Texture::Noise;
  m.scale = rng.uniform(0.1f, 0.3f);
  m.seed = rng.next_u32();
  return m;
}

Material any_surface(Rng& rng) {
  switch (rng.below(6)) {
    case 0: return wood(rng);
    case 1: return paint(rng);
    case 2: return fabric(rng);
    case 3: return plastic(rng);
    case 4: return tiles(rng);
    default: return stone(rng);
  }
}

// ---- room planner -------------------------------------------------------------------------

Rect against_wall(const Rect& in, int side, float a, float w, float d) {
  switch (side) {
    case 0: return {a, in.y0, a + w, in.y0 + d};
    case 1: return {in.x1 - d, a, in.x1, a + w};
    case 2: return {a, in.y1 - d, a + w, in.y1};
    default: return {in.x0, a, in.x0 + d, a + w};
  }
}
float side_start(const Rect& in, int side) { return side % 2 == 0 ? in.x0 : in.y0; }
float side_end(const Rect& in, int side) { return side % 2 == 0 ? in.x1 : in.y1; }
float facing_yaw(int side) {
  static const float kYaw[4] = {1.5707963f, 3.1415927f, -1.5707963f, 0.0f};
  return kYaw[side & 3];
}

bool RoomPlan::fits(const Rect& r, float margin) const {
  const float eps = 1e-4f;
  if (r.x0 < inner.x0 - eps || r.y0 < inner.y0 - eps || r.x1 > inner.x1 + eps || r.y1 > inner.y1 + eps)
    return false;
  for (const Rect& t : taken)
    if (r.overlaps(t, margin)) return false;
  for (const Rect& k : keep_clear)
    if (r.overlaps(k)) return false;
  return true;
}

bool RoomPlan::covers_window(int side, float a, float b) const {
  for (const Opening& o : windows)
    if (o.side == side && a < o.b + 0.05f && o.a - 0.05f < b) return true;
  return false;
}

bool RoomPlan::keeps_paths(const Rect& extra) const {
  const float c = 0.1f;
  const int nx = std::max(1, int(inner.width() / c)), ny = std::max(1, int(inner.depth() / c));
  std::vector<uint8_t> state(size_t(nx) * ny, 0);  // 0 free, 1 blocked, 2 reached
  auto blocked_by = [&](const Rect& r, float px, float py) {
    float dx = std::max({r.x0 - px, 0.0f, px - r.x1}), dy = std::max({r.y0 - py, 0.0f, py - r.y1});
    return dx * dx + dy * dy < kAgentRadius * kAgentRadius;
  };
  int free_cells = 0;
  for (int iy = 0; iy < ny; ++iy)
    for (int ix = 0; ix < nx; ++ix) {
      float px = inner.x0 + (ix + 0.5f) * c, py = inner.y0 + (iy + 0.5f) * c;
      bool b = px - inner.x0 < kAgentRadius || inner.x1 - px < kAgentRadius ||
               py - inner.y0 < kAgentRadius || inner.y1 - py < kAgentRadius || blocked_by(extra, px, py);
      for (size_t t = 0; t < taken.size() && !b; ++t) b = blocked_by(taken[t], px, py);
      state[size_t(iy) * nx + ix] = b ? 1 : 0;
      free_cells += b ? 0 : 1;
    }
  // Entry cells: just inside each doorway.
  std::vector<int> entries;
  for (const Opening& d : doors) {
    float mid = 0.5f * (d.a + d.b), px, py;
    switch (d.side) {
      case 0: px = mid, py = inner.y0 + 0.45f; break;
      case 1: px = inner.x1 - 0.45f, py = mid; break;
      case 2: px = mid, py = inner.y1 - 0.45f; break;
      default: px = inner.x0 + 0.45f, py = mid; break;
    }
    int ix = std::clamp(int((px - inner.x0) / c), 0, nx - 1), iy = std::clamp(int((py - inner.y0) / c), 0, ny - 1);
    entries.push_back(iy * nx + ix);
  }
  if (entries.empty()) return true;
  if (state[size_t(entries[0])] != 0) return false;
  std::vector<int> stack = {entries[0]};
  state[size_t(entries[0])] = 2;
  int reached = 0;
  while (!stack.empty()) {
    int i = stack.back();
    stack.pop_back();
    ++reached;
    int ix = i % nx, iy = i / nx;
    const int nb[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    for (const auto& d : nb) {
      int jx = ix + d[0], jy = iy + d[1];
      if (jx < 0 || jy < 0 || jx >= nx || jy >= ny) continue;
      int j = jy * nx + jx;
      if (state[size_t(j)] == 0) state[size_t(j)] = 2, stack.push_back(j);
    }
  }
  for (int e : entries)
    if (state[size_t(e)] != 2) return false;
  return reached >= int(0.3f * float(nx * ny));
}

// ---- layout -------------------------------------------------------------------------------

namespace {

struct Cell {
  Rect r;
  bool corridor = false;
};

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

struct Edge {
  int a, b;        // cells; a is below/left of b
  int side_a;      // side of a that faces b
  float lo, hi;    // shared span
};

int find(std::vector<int>& parent, int i) {
  while (parent[size_t(i)] != i) i = parent[size_t(i)] = parent[size_t(parent[size_t(i)])];
  return i;
}

}  // namespace

bool build_layout(Builder& b, int n_rooms, std::vector<RoomPlan>& plans) {
  Rng& rng = b.rng;
  World& w = b.w;
  float area = float(n_rooms) * rng.uniform(11.0f, 16.0f);
  float aspect = rng.uniform(1.0f, 1.7f);
  float W = std::sqrt(area * aspect), D = area / W;
  w.bounds = {0, 0, W, D};
  w.ceiling_height = rng.uniform(2.5f, 2.8f);
  const float H = w.ceiling_height;

  std::vector<Cell> cells;
  bool corridor = n_rooms >= 4 && rng.uniform() < 0.6f && D >= 6.2f;
  if (corridor) {
    float cw = rng.uniform(1.2f, 1.5f);
    float cy = D * rng.uniform(0.42f, 0.58f);
    Rect c = {0, cy - cw / 2, W, cy + cw / 2};
    cells.push_back({c, true});
    int rest = n_rooms - 1, ka = rest / 2, kb = rest - ka;
    if (rng.uniform() < 0.5f) std::swap(ka, kb);
    if (W / float(std::max(ka, kb)) < 2.2f) return false;
    split_strip(cells, {0, 0, W, c.y0}, ka, true, rng);
    split_strip(cells, {0, c.y1, W, D}, kb, true, rng);
  } else {
    cells.push_back({w.bounds, false});
    while (int(cells.size()) < n_rooms) {
      std::vector<size_t> order(cells.size());
      std::iota(order.begin(), order.end(), 0);
      std::sort(order.begin(), order.end(), [&](size_t i, size_t j) {
        return cells[i].r.width() * cells[i].r.depth() > cells[j].r.width() * cells[j].r.depth();
      });
      bool ok = false;
      for (size_t i : order)
        if ((ok = split_cell(cells, i, rng, 2.0f))) break;
      if (!ok) return false;
    }
  }

  // Room types: the largest is the living room, the smallest the bathroom.
  std::vector<int> order;
  for (int i = 0; i < int(cells.size()); ++i)
    if (!cells[size_t(i)].corridor) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](int i, int j) {
    return cells[size_t(i)].r.width() * cells[size_t(i)].r.depth() >
           cells[size_t(j)].r.width() * cells[size_t(j)].r.depth();
  });
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

  // Adjacency: cells sharing at least 1.1 m of wall.
  std::vector<Edge> edges;
  const float eps = 1e-3f;
  for (int i = 0; i < int(cells.size()); ++i)
    for (int j = 0; j < int(cells.size()); ++j) {
      const Rect &a = cells[size_t(i)].r, &c = cells[size_t(j)].r;
      if (std::fabs(a.x1 - c.x0) < eps) {
        float lo = std::max(a.y0, c.y0), hi = std::min(a.y1, c.y1);
        if (hi - lo >= 1.1f) edges.push_back({i, j, 1, lo, hi});
      }
      if (std::fabs(a.y1 - c.y0) < eps) {
        float lo = std::max(a.x0, c.x0), hi = std::min(a.x1, c.x1);
        if (hi - lo >= 1.1f) edges.push_back({i, j, 2, lo, hi});
      }
    }
  // Spanning tree by Kruskal: corridor and living-room edges first, bathroom edges last.
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
  std::vector<int> parent(cells.size());
  std::iota(parent.begin(), parent.end(), 0);
  std::vector<Edge> doors;
  int joined = 1;
  for (const auto& [score, e] : ranked) {
    int ra = find(parent, edges[e].a), rb = find(parent, edges[e].b);
    bool extra = ra == rb && score < 1.0f && rng.uniform() < 0.25f;
    if (ra != rb || extra) {
      doors.push_back(edges[e]);
      if (ra != rb) parent[size_t(ra)] = rb, ++joined;
    }
  }
  if (joined != int(cells.size())) return false;

  // Rooms and their plans.
  w.rooms.clear();
  plans.assign(cells.size(), RoomPlan());
  for (size_t i = 0; i < cells.size(); ++i) {
    Room room;
    room.type = types[i];
    const Rect& c = cells[i].r;
    room.rect = {c.x0 + kWallHalf, c.y0 + kWallHalf, c.x1 - kWallHalf, c.y1 - kWallHalf};
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
      for (int k = 0; k < 3; ++k) wall.alt[k] = 0.7f * wall.base[k] + 0.3f * accent.base[k];
      wall.scale = rng.uniform(0.08f, 0.3f);
    } else wall = u < 0.95f ? wood(rng) : stone(rng);
    ceiling = rng.uniform() < 0.85f ? paint(rng) : any_surface(rng);
    if (ceiling.texture != Texture::Wood)
      for (int k = 0; k < 3; ++k) ceiling.base[k] = ceiling.alt[k] = 0.25f * ceiling.base[k] + 0.75f * 0.93f;
    room.floor_material = b.material(floor);
    room.wall_material = b.material(wall);
    room.ceiling_material = b.material(ceiling);
    room.lamp = {0.5f * (room.rect.x0 + room.rect.x1), 0.5f * (room.rect.y0 + room.rect.y1), H - 0.3f};
    w.rooms.push_back(room);
    plans[i].room = int(i);
    plans[i].inner = room.rect;
  }

  // Doorways, in both rooms' plans.
  for (const Edge& e : doors) {
    float dw = rng.uniform(0.8f, 0.95f);
    float lo = e.lo + kWallHalf + 0.15f, hi = e.hi - kWallHalf - 0.15f - dw;
    if (hi < lo) return false;
    float a = rng.uniform(lo, hi);
    plans[size_t(e.a)].doors.push_back({e.side_a, a, a + dw});
    plans[size_t(e.b)].doors.push_back({(e.side_a + 2) % 4, a, a + dw});
  }

  // Windows on outer walls; every room but the corridor gets at least one when it can.
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].corridor) continue;
    RoomPlan& plan = plans[i];
    const Rect& c = cells[i].r;
    bool outer[4] = {c.y0 < eps, c.x1 > W - eps, c.y1 > D - eps, c.x0 < eps};
    bool bath = types[i] == RoomType::Bathroom;
    int longest = -1;
    float best = 0;
    for (int s = 0; s < 4; ++s) {
      float len = side_end(plan.inner, s) - side_start(plan.inner, s);
      if (outer[s] && len > best) best = len, longest = s;
    }
    plan.sill = H;
    for (int s = 0; s < 4; ++s) {
      float len = side_end(plan.inner, s) - side_start(plan.inner, s);
      if (!outer[s] || len < 1.4f || (s != longest && rng.uniform() < 0.35f)) continue;
      int count = (len > 4.5f && rng.uniform() < 0.5f) ? 2 : 1;
      for (int k = 0; k < count; ++k) {
        float ww = bath ? rng.uniform(0.5f, 0.8f) : rng.uniform(0.9f, std::min(2.2f, len / count - 0.5f));
        float slot0 = side_start(plan.inner, s) + len * k / count, slot = len / count;
        if (ww < 0.5f || slot < ww + 0.4f) continue;
        float a = slot0 + rng.uniform(0.2f, slot - ww - 0.2f);
        plan.windows.push_back({s, a, a + ww});
      }
    }
  }

  // Walls: each room builds its half of each side, leaving gaps for doorways and windows.
  for (size_t i = 0; i < cells.size(); ++i) {
    RoomPlan& plan = plans[i];
    const Room& room = w.rooms[i];
    const Rect& c = cells[i].r;
    const int wall_mat = room.wall_material;
    int frame_mat = b.material(rng.uniform() < 0.6f ? paint(rng) : wood(rng));
    for (int k = 0; k < 3; ++k) w.materials[size_t(frame_mat)].base[k] = std::max(w.materials[size_t(frame_mat)].base[k], 0.35f);
    for (int s = 0; s < 4; ++s) {
      // The half-wall slab of side s, as a function of the span [a, b) and height [z0, z1).
      auto slab = [&](float a, float bb, float z0, float z1, float inset0, float inset1) {
        switch (s) {
          case 0: return std::pair<Vec3, Vec3>{{a, c.y0 + inset0, z0}, {bb, c.y0 + inset1, z1}};
          case 1: return std::pair<Vec3, Vec3>{{c.x1 - inset1, a, z0}, {c.x1 - inset0, bb, z1}};
          case 2: return std::pair<Vec3, Vec3>{{a, c.y1 - inset1, z0}, {bb, c.y1 - inset0, z1}};
          default: return std::pair<Vec3, Vec3>{{c.x0 + inset0, a, z0}, {c.x0 + inset1, bb, z1}};
        }
      };
      auto piece = [&](float a, float bb, float z0, float z1, bool blocks) {
        if (bb - a < 1e-3f || z1 - z0 < 1e-3f) return;
        int inst = b.instance(kWall, "wall", int(i), blocks);
        auto [lo, hi] = slab(a, bb, z0, z1, 0.0f, kWallHalf);
        b.box(inst, lo, hi, wall_mat);
      };
      struct Gap { float a, b; bool door; };
      std::vector<Gap> gaps;
      for (const Opening& o : plan.doors) if (o.side == s) gaps.push_back({o.a, o.b, true});
      for (const Opening& o : plan.windows) if (o.side == s) gaps.push_back({o.a, o.b, false});
      std::sort(gaps.begin(), gaps.end(), [](const Gap& x, const Gap& y) { return x.a < y.a; });
      float pos = s % 2 == 0 ? c.x0 : c.y0, end = s % 2 == 0 ? c.x1 : c.y1;
      for (const Gap& g : gaps) {
        piece(pos, g.a, 0, H, true);
        if (g.door) {
          piece(g.a, g.b, kDoorHeight, H, false);
          plan.keep_clear.push_back(against_wall(plan.inner, s, g.a - 0.1f, g.b - g.a + 0.2f, 0.9f));
        } else {
          bool bath = room.type == RoomType::Bathroom;
          float sill = bath ? rng.uniform(1.1f, 1.4f) : rng.uniform() < 0.15f ? 0.1f : rng.uniform(0.6f, 1.0f);
          float top = std::min(H - 0.15f, rng.uniform(2.0f, 2.3f));
          piece(g.a, g.b, 0, sill, true);
          piece(g.a, g.b, top, H, false);
          plan.sill = std::min(plan.sill, sill);
          // The pane shows the outdoors; a frame and a mullion around it.
          Material glass;
          glass.texture = Texture::Window;
          glass.emissive = 1.0f;
          glass.seed = rng.next_u32();
          int win = b.instance(kWindow, "window", int(i), true);
          auto [plo, phi] = slab(g.a, g.b, sill, top, 0.0f, 0.02f);
          b.box(win, plo, phi, b.material(glass));
          const float f = 0.05f;
          auto [f0, f1] = slab(g.a, g.b, sill, sill + f, 0.0f, 0.07f);
          b.box(win, f0, f1, frame_mat);
          auto [f2, f3] = slab(g.a, g.b, top - f, top, 0.0f, 0.05f);
          b.box(win, f2, f3, frame_mat);
          auto [f4, f5] = slab(g.a, g.a + f, sill, top, 0.0f, 0.05f);
          b.box(win, f4, f5, frame_mat);
          auto [f6, f7] = slab(g.b - f, g.b, sill, top, 0.0f, 0.05f);
          b.box(win, f6, f7, frame_mat);
          if (g.b - g.a > 1.0f) {
            float m0 = 0.5f * (g.a + g.b) - 0.025f;
            auto [f8, f9] = slab(m0, m0 + f, sill, top, 0.0f, 0.05f);
            b.box(win, f8, f9, frame_mat);
          }
          Vec3 centre = {0.5f * (plo.x + phi.x), 0.5f * (plo.y + phi.y), 0.5f * (sill + top)};
          const float in = 0.3f;
          if (s == 0) centre.y += in; else if (s == 1) centre.x -= in;
          else if (s == 2) centre.y -= in; else centre.x += in;
          w.window_lights.push_back(centre);
          // Curtains (class window in the NYU mapping) beside some windows.
          if (!bath && rng.uniform() < 0.5f) {
            int cm = b.material(fabric(rng));
            bool long_ = rng.uniform() < 0.5f;
            float z0 = long_ ? 0.02f : std::max(0.02f, sill - 0.1f), cw = rng.uniform(0.2f, 0.35f);
            for (int side2 = 0; side2 < 2; ++side2) {
              float a0 = side2 == 0 ? g.a - cw + 0.08f : g.b - 0.08f;
              a0 = std::clamp(a0, side_start(plan.inner, s), side_end(plan.inner, s) - cw);
              int cur = b.instance(kWindow, "curtain", int(i), long_);
              auto [clo, chi] = slab(a0, a0 + cw, z0, std::min(H - 0.05f, top + 0.12f), kWallHalf + 0.03f,
                                     kWallHalf + 0.09f);
              b.box(cur, clo, chi, cm);
              if (long_) plan.take(w.instances[size_t(cur)].footprint);
            }
          }
        }
        pos = g.b;
      }
      piece(pos, end, 0, H, true);
    }
    // Open door leaves (a door is "wall" in the NYU mapping) against the wall beside a doorway.
    for (const Opening& d : plan.doors) {
      if (rng.uniform() < 0.5f) continue;
      bool hinge_low = rng.uniform() < 0.5f;
      float len = d.b - d.a, h = hinge_low ? d.a : d.b;
      Rect leaf;
      float t = 0.04f;
      switch (d.side) {
        case 0: leaf = {hinge_low ? h : h - t, plan.inner.y0, hinge_low ? h + t : h, plan.inner.y0 + len}; break;
        case 2: leaf = {hinge_low ? h : h - t, plan.inner.y1 - len, hinge_low ? h + t : h, plan.inner.y1}; break;
        case 1: leaf = {plan.inner.x1 - len, hinge_low ? h : h - t, plan.inner.x1, hinge_low ? h + t : h}; break;
        default: leaf = {plan.inner.x0, hinge_low ? h : h - t, plan.inner.x0 + len, hinge_low ? h + t : h}; break;
      }
      bool clash = false;
      for (const Rect& r : plan.taken) clash = clash || leaf.overlaps(r, 0.02f);
      if (clash || !plan.keeps_paths(leaf)) continue;
      int door = b.instance(kWall, "door", int(i), true);
      b.box(door, {leaf.x0, leaf.y0, 0.01f}, {leaf.x1, leaf.y1, kDoorHeight - 0.02f},
            b.material(rng.uniform() < 0.6f ? wood(rng) : paint(rng)));
      plan.take(leaf);
    }
    // The ceiling lamp: a shade hanging on a cord (objects, above head height).
    int lamp = b.instance(kObjects, "ceiling lamp", int(i), false);
    Material shade = rng.uniform() < 0.5f ? paint(rng) : fabric(rng);
    shade.emissive = 0.6f;
    float lr = rng.uniform(0.12f, 0.25f);
    b.cylinder(lamp, room.lamp.x, room.lamp.y, lr, H - 0.42f, H - 0.25f, b.material(shade));
    b.cylinder(lamp, room.lamp.x, room.lamp.y, 0.01f, H - 0.25f, H, b.material(plastic(rng)));
  }
  return true;
}

}  // namespace ulr::worldgen
