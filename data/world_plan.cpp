// Room sides and the room planner: where a wall-hugging item goes, whether a footprint fits,
// and whether the doorways stay connected once it is placed.
#include <algorithm>
#include <cmath>

#include "data/world_builder.h"

namespace ulr::worldgen {

// ---- sides --------------------------------------------------------------------------------

Side opposite(Side side) {
  switch (side) {
    case Side::South: return Side::North;
    case Side::East: return Side::West;
    case Side::North: return Side::South;
    case Side::West: return Side::East;
  }
  return side;
}

Side clockwise(Side side) {
  switch (side) {
    case Side::South: return Side::West;
    case Side::East: return Side::South;
    case Side::North: return Side::East;
    case Side::West: return Side::North;
  }
  return side;
}

Side counterclockwise(Side side) { return opposite(clockwise(side)); }

bool runs_along_x(Side side) { return side == Side::South || side == Side::North; }

Side random_side(Rng& rng) { return kSides[rng.below(4)]; }

float facing_yaw(Side side) {
  switch (side) {
    case Side::South: return 1.5707963f;   // +y
    case Side::East: return 3.1415927f;    // -x
    case Side::North: return -1.5707963f;  // -y
    case Side::West: return 0.0f;          // +x
  }
  return 0.0f;
}

Vec3 step_into_room(Vec3 p, Side side, float distance) {
  switch (side) {
    case Side::South: p.y += distance; break;
    case Side::East: p.x -= distance; break;
    case Side::North: p.y -= distance; break;
    case Side::West: p.x += distance; break;
  }
  return p;
}

Rect wall_strip(const Rect& in, Side side, float a, float b, float depth) {
  switch (side) {
    case Side::South: return {a, in.y0, b, in.y0 + depth};
    case Side::East: return {in.x1 - depth, a, in.x1, b};
    case Side::North: return {a, in.y1 - depth, b, in.y1};
    case Side::West: return {in.x0, a, in.x0 + depth, b};
  }
  return {};
}

Rect against_wall(const Rect& in, Side side, float a, float w, float d) {
  return wall_strip(in, side, a, a + w, d);
}

float side_start(const Rect& in, Side side) { return runs_along_x(side) ? in.x0 : in.y0; }
float side_end(const Rect& in, Side side) { return runs_along_x(side) ? in.x1 : in.y1; }

// ---- room planner -------------------------------------------------------------------------

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

bool RoomPlan::covers_window(Side side, float a, float b) const {
  for (const Opening& o : windows)
    if (o.side == side && a < o.b + 0.05f && o.a - 0.05f < b) return true;
  return false;
}

namespace {

// The reachability grid over a room's inner extent: kPathCell cells, (ny, nx), each 0 free,
// 1 blocked or 2 reached.
constexpr float kPathCell = 0.1f;
constexpr uint8_t kCellFree = 0, kCellBlocked = 1, kCellReached = 2;

// Whether an agent standing at (px, py) touches `r`.
bool agent_touches(const Rect& r, float px, float py) {
  float dx = std::max({r.x0 - px, 0.0f, px - r.x1}), dy = std::max({r.y0 - py, 0.0f, py - r.y1});
  return dx * dx + dy * dy < kAgentRadius * kAgentRadius;
}

// A cell is blocked when an agent at its centre touches a wall, a taken footprint or `extra`.
std::vector<uint8_t> path_cells(const RoomPlan& plan, const Rect& extra, int nx, int ny) {
  const Rect& in = plan.inner;
  std::vector<uint8_t> state(size_t(nx) * ny, kCellFree);
  for (int iy = 0; iy < ny; ++iy)
    for (int ix = 0; ix < nx; ++ix) {
      float px = in.x0 + (ix + 0.5f) * kPathCell, py = in.y0 + (iy + 0.5f) * kPathCell;
      bool b = px - in.x0 < kAgentRadius || in.x1 - px < kAgentRadius ||
               py - in.y0 < kAgentRadius || in.y1 - py < kAgentRadius || agent_touches(extra, px, py);
      for (size_t t = 0; t < plan.taken.size() && !b; ++t) b = agent_touches(plan.taken[t], px, py);
      state[size_t(iy) * nx + ix] = b ? kCellBlocked : kCellFree;
    }
  return state;
}

// The cell just inside doorway `d` (0.45 m into the room from its middle).
int entry_cell(const Rect& in, const Opening& d, int nx, int ny) {
  float mid = 0.5f * (d.a + d.b);
  Vec3 on_wall = runs_along_x(d.side)
                     ? Vec3{mid, d.side == Side::South ? in.y0 : in.y1, 0}
                     : Vec3{d.side == Side::West ? in.x0 : in.x1, mid, 0};
  Vec3 p = step_into_room(on_wall, d.side, 0.45f);
  int ix = std::clamp(int((p.x - in.x0) / kPathCell), 0, nx - 1);
  int iy = std::clamp(int((p.y - in.y0) / kPathCell), 0, ny - 1);
  return iy * nx + ix;
}

// Marks the free cells 4-connected to the free cell `start` as reached; returns their count.
int flood_fill(std::vector<uint8_t>& state, int nx, int ny, int start) {
  std::vector<int> stack = {start};
  state[size_t(start)] = kCellReached;
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
      if (state[size_t(j)] == kCellFree) state[size_t(j)] = kCellReached, stack.push_back(j);
    }
  }
  return reached;
}

}  // namespace

bool RoomPlan::keeps_paths(const Rect& extra) const {
  const int nx = std::max(1, int(inner.width() / kPathCell));
  const int ny = std::max(1, int(inner.depth() / kPathCell));
  std::vector<uint8_t> state = path_cells(*this, extra, nx, ny);
  std::vector<int> entries;
  for (const Opening& d : doors) entries.push_back(entry_cell(inner, d, nx, ny));
  if (entries.empty()) return true;
  if (state[size_t(entries[0])] != kCellFree) return false;
  const int reached = flood_fill(state, nx, ny, entries[0]);
  for (int e : entries)
    if (state[size_t(e)] != kCellReached) return false;
  return reached >= int(0.3f * float(nx * ny));
}

}  // namespace ulr::worldgen
