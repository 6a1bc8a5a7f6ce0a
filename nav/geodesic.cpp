#include "nav/geodesic.h"

#include <cmath>
#include <functional>
#include <queue>
#include <utility>

namespace ulr::nav {
namespace {

// The 8 neighbours: (dx, dy), orthogonal ones first.
constexpr int kDx[8] = {1, -1, 0, 0, 1, 1, -1, -1};
constexpr int kDy[8] = {0, 0, 1, -1, 1, -1, 1, -1};

// The cost in metres of the move from (ix, iy) by neighbour k, or a negative number when the
// move is not allowed (the target is impassable, or a diagonal would cut a corner).
float move_cost(const NavGrid& g, int ix, int iy, int k) {
  const int nx = ix + kDx[k], ny = iy + kDy[k];
  if (!g.is_passable(nx, ny)) return -1;
  if (k < 4) return g.cell;
  if (!g.is_passable(nx, iy) || !g.is_passable(ix, ny)) return -1;
  return g.cell * std::sqrt(2.0f);
}

}  // namespace

int NavGrid::cell_at(float x, float y) const {
  const int ix = int(std::floor((x - x0) / cell)), iy = int(std::floor((y - y0) / cell));
  if (ix < 0 || iy < 0 || ix >= width || iy >= height) return -1;
  return index(ix, iy);
}

int NavGrid::count_passable() const {
  int n = 0;
  for (uint8_t p : passable) n += p;
  return n;
}

NavGrid make_nav_grid(const World& w, float radius) {
  const OccupancyGrid& f = w.free_space;
  NavGrid g;
  g.x0 = f.x0, g.y0 = f.y0, g.cell = f.cell, g.width = f.width, g.height = f.height;
  g.passable.assign(size_t(g.width) * g.height, 0);
  for (int i = 0; i < g.width * g.height; ++i) {
    const FloorPoint c = g.centre(i);
    g.passable[size_t(i)] = w.room_at(c.x, c.y) >= 0 && w.is_free(c.x, c.y, radius);
  }
  return g;
}

std::vector<float> distance_field(const NavGrid& g, const std::vector<int>& sources) {
  std::vector<float> dist(size_t(g.width) * g.height, kUnreachable);
  // (distance, cell), nearest first; equal distances pop in cell order, so the field does not
  // depend on the order of `sources`.
  using Entry = std::pair<float, int>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> open;
  for (int s : sources) {
    if (s < 0 || s >= g.width * g.height || !g.passable[size_t(s)] || dist[size_t(s)] == 0) continue;
    dist[size_t(s)] = 0;
    open.push({0.0f, s});
  }
  while (!open.empty()) {
    const auto [d, c] = open.top();
    open.pop();
    if (d > dist[size_t(c)]) continue;  // a stale entry
    const int ix = c % g.width, iy = c / g.width;
    for (int k = 0; k < 8; ++k) {
      const float cost = move_cost(g, ix, iy, k);
      if (cost < 0) continue;
      const int n = g.index(ix + kDx[k], iy + kDy[k]);
      if (d + cost < dist[size_t(n)]) {
        dist[size_t(n)] = d + cost;
        open.push({d + cost, n});
      }
    }
  }
  return dist;
}

namespace {

// The cell distance_at measures from: the point's own cell when it is passable, else the
// reachable one with the least field + offset within two cells; -1 if none.
int nearest_reachable_cell(const NavGrid& g, const std::vector<float>& field, float x, float y,
                           double* distance) {
  const int cx = int(std::floor((x - g.x0) / g.cell)), cy = int(std::floor((y - g.y0) / g.cell));
  int best = -1;
  double best_d = double(kUnreachable);
  auto offer = [&](int ix, int iy) {
    if (!g.is_passable(ix, iy)) return;
    const int c = g.index(ix, iy);
    if (field[size_t(c)] == kUnreachable) return;
    const FloorPoint p = g.centre(c);
    const double d = double(field[size_t(c)]) + std::hypot(double(x) - p.x, double(y) - p.y);
    if (d < best_d) best_d = d, best = c;
  };
  if (g.is_passable(cx, cy)) {
    offer(cx, cy);
    if (distance) *distance = best_d;
    return best;
  }
  for (int iy = cy - 2; iy <= cy + 2; ++iy)
    for (int ix = cx - 2; ix <= cx + 2; ++ix) offer(ix, iy);
  if (distance) *distance = best_d;
  return best;
}

}  // namespace

double distance_at(const NavGrid& g, const std::vector<float>& field, float x, float y) {
  double d = double(kUnreachable);
  nearest_reachable_cell(g, field, x, y, &d);
  return d;
}

std::vector<FloorPoint> shortest_path(const NavGrid& g, const std::vector<float>& field, float x, float y) {
  std::vector<FloorPoint> path;
  int c = nearest_reachable_cell(g, field, x, y, nullptr);
  if (c < 0) return path;
  path.push_back(g.centre(c));
  // Every cell but a source has a neighbour n with field[n] + cost == field[c] (the one
  // Dijkstra reached it from) and none lower, so the walk strictly descends to a source.
  while (field[size_t(c)] > 0) {
    const int ix = c % g.width, iy = c / g.width;
    int next = -1;
    float best = kUnreachable;
    for (int k = 0; k < 8; ++k) {
      const float cost = move_cost(g, ix, iy, k);
      if (cost < 0) continue;
      const int n = g.index(ix + kDx[k], iy + kDy[k]);
      if (field[size_t(n)] + cost < best) best = field[size_t(n)] + cost, next = n;
    }
    c = next;
    path.push_back(g.centre(c));
  }
  return path;
}

}  // namespace ulr::nav
