#include "nav/floor_map.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <utility>

#include "data/classes.h"

namespace ulr::nav {
namespace {

constexpr int kViewEvidence = 4;    // views move a cell within [-4, 4]
constexpr int kStrongEvidence = 8;  // bumps and stood-in cells, which views do not change
constexpr float kMargin = 1.5f;     // metres of map around the start and goal that a search may use

}  // namespace

FloorMap::FloorMap(float x, float y, float radius, float cell, float half_extent)
    : x0_(x - half_extent), y0_(y - half_extent), cell_(cell), radius_(radius),
      size_(int(std::ceil(2 * half_extent / cell))), evidence_(size_t(size_) * size_, 0) {}

int FloorMap::cell_index(float x, float y) const {
  const int ix = int(std::floor((x - x0_) / cell_)), iy = int(std::floor((y - y0_) / cell_));
  if (ix < 0 || iy < 0 || ix >= size_ || iy >= size_) return -1;
  return iy * size_ + ix;
}

bool FloorMap::blocked_at(float x, float y) const {
  const int c = cell_index(x, y);
  return c >= 0 && evidence_[size_t(c)] > 0;
}

void FloorMap::add_evidence(float x, float y, int delta) {
  const int c = cell_index(x, y);
  if (c < 0) return;
  int8_t& e = evidence_[size_t(c)];
  if (std::abs(e) >= kStrongEvidence) return;
  e = int8_t(std::clamp(e + delta, -kViewEvidence, kViewEvidence));
}

void FloorMap::add_view(const uint8_t* labels, int size, const AgentPose& pose, const ViewGeometry& geometry,
                        float max_range) {
  for (int u = 0; u < size; ++u) {
    bool seen_floor = false;
    float last_ahead = 0, last_right = 0;
    for (int v = size - 1; v >= size / 2; --v) {
      float ahead = 0, right = 0;
      if (!geometry.floor_offset(float(u), float(v), &ahead, &right) || ahead > max_range) break;
      if (labels[size_t(v) * size + u] == kFloor) {
        // Free from the previous floor point to this one (rows far off are far apart).
        const int steps = seen_floor ? std::max(1, int((ahead - last_ahead) / cell_)) : 1;
        for (int k = 1; k <= steps; ++k) {
          const float t = float(k) / float(steps);
          const float a = seen_floor ? last_ahead + t * (ahead - last_ahead) : ahead;
          const float r = seen_floor ? last_right + t * (right - last_right) : right;
          const FloorPoint p = offset_point(pose, a, r);
          add_evidence(p.x, p.y, -1);
        }
        seen_floor = true, last_ahead = ahead, last_right = right;
        continue;
      }
      if (seen_floor) {  // the floor ends: something stands just beyond its last point
        const float scale = (last_ahead + cell_) / last_ahead;
        const FloorPoint p = offset_point(pose, last_ahead * scale, last_right * scale);
        add_evidence(p.x, p.y, +1);
      }
      break;
    }
  }
}

void FloorMap::add_bump(const AgentPose& pose) {
  const float d = radius_ + 0.07f;
  const int c = cell_index(pose.x + d * std::cos(pose.yaw), pose.y + d * std::sin(pose.yaw));
  if (c >= 0 && evidence_[size_t(c)] > -kStrongEvidence) evidence_[size_t(c)] = kStrongEvidence;
}

void FloorMap::forget_around(const AgentPose& pose, float distance) {
  for (int iy = 0; iy < size_; ++iy)
    for (int ix = 0; ix < size_; ++ix) {
      int8_t& e = evidence_[size_t(iy) * size_ + ix];
      const float x = x0_ + (float(ix) + 0.5f) * cell_, y = y0_ + (float(iy) + 0.5f) * cell_;
      if (e > 0 && e < kStrongEvidence && std::hypot(x - pose.x, y - pose.y) <= distance) e = 0;
    }
}

void FloorMap::add_stood(const AgentPose& pose) {
  const int c = cell_index(pose.x, pose.y);
  if (c >= 0) evidence_[size_t(c)] = -kStrongEvidence;
}

bool FloorMap::next_point(FloorPoint from, FloorPoint to, float reach, float lookahead, FloorPoint* next) const {
  const int start = cell_index(from.x, from.y);
  if (start < 0) return false;
  // The search window: the box around both points, plus a margin, within the map.
  auto to_cell = [&](float v, float origin) { return int(std::floor((v - origin) / cell_)); };
  const int m = int(std::ceil(kMargin / cell_));
  const int wx0 = std::max(0, std::min(to_cell(from.x, x0_), to_cell(to.x, x0_)) - m);
  const int wy0 = std::max(0, std::min(to_cell(from.y, y0_), to_cell(to.y, y0_)) - m);
  const int wx1 = std::min(size_ - 1, std::max(to_cell(from.x, x0_), to_cell(to.x, x0_)) + m);
  const int wy1 = std::min(size_ - 1, std::max(to_cell(from.y, y0_), to_cell(to.y, y0_)) + m);
  const int ww = wx1 - wx0 + 1, wh = wy1 - wy0 + 1;
  // Cells whose disc of the agent's radius holds a blocked cell.
  std::vector<uint8_t> closed(size_t(ww) * wh, 0);
  const int r = int(std::ceil(radius_ / cell_));
  for (int iy = std::max(0, wy0 - r); iy <= std::min(size_ - 1, wy1 + r); ++iy)
    for (int ix = std::max(0, wx0 - r); ix <= std::min(size_ - 1, wx1 + r); ++ix) {
      if (evidence_[size_t(iy) * size_ + ix] <= 0) continue;
      for (int dy = -r; dy <= r; ++dy)
        for (int dx = -r; dx <= r; ++dx) {
          const int x = ix + dx - wx0, y = iy + dy - wy0;
          if (x < 0 || y < 0 || x >= ww || y >= wh) continue;
          if (std::hypot(float(dx), float(dy)) * cell_ >= radius_) continue;
          closed[size_t(y) * ww + x] = 1;
        }
    }
  auto centre = [&](int w) {
    return FloorPoint{x0_ + (float(wx0 + w % ww) + 0.5f) * cell_, y0_ + (float(wy0 + w / ww) + 0.5f) * cell_};
  };
  // The agent stands where it stands: the cells next to it stay open unless marked themselves
  // (a bump beside it must not close every way out).
  for (size_t w = 0; w < closed.size(); ++w) {
    const FloorPoint p = centre(int(w));
    const int8_t e = evidence_[size_t(wy0 + int(w) / ww) * size_ + (wx0 + int(w) % ww)];
    if (e <= 0 && std::hypot(p.x - from.x, p.y - from.y) <= 1.5f * cell_) closed[w] = 0;
  }
  auto remaining = [&](int w) {  // A*'s heuristic: straight-line metres to within reach of `to`
    const FloorPoint p = centre(w);
    return std::max(0.0f, std::hypot(p.x - to.x, p.y - to.y) - reach);
  };
  const int first = (start / size_ - wy0) * ww + (start % size_ - wx0);
  std::vector<float> cost(closed.size(), 1e30f);
  std::vector<int> parent(closed.size(), -1);
  using Entry = std::pair<float, int>;  // (cost + heuristic, window cell), cheapest first
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> open;
  cost[size_t(first)] = 0;
  open.push({remaining(first), first});
  int goal = -1;
  while (!open.empty()) {
    const auto [f, w] = open.top();
    open.pop();
    if (f > cost[size_t(w)] + remaining(w) + 1e-4f) continue;  // stale
    if (remaining(w) <= 0) {
      goal = w;
      break;
    }
    const int x = w % ww, y = w / ww;
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        const int nx = x + dx, ny = y + dy;
        if ((dx == 0 && dy == 0) || nx < 0 || ny < 0 || nx >= ww || ny >= wh) continue;
        const int n = ny * ww + nx;
        if (closed[size_t(n)] || (dx && dy && (closed[size_t(y * ww + nx)] || closed[size_t(ny * ww + x)]))) continue;
        const bool unknown = evidence_[size_t(wy0 + ny) * size_ + (wx0 + nx)] == 0;
        const float step = cell_ * (dx && dy ? 1.41421356f : 1.0f) * (unknown ? 2.0f : 1.0f);
        if (cost[size_t(w)] + step < cost[size_t(n)]) {
          cost[size_t(n)] = cost[size_t(w)] + step;
          parent[size_t(n)] = w;
          open.push({cost[size_t(n)] + remaining(n), n});
        }
      }
  }
  if (goal < 0) return false;
  std::vector<int> path;
  for (int w = goal; w >= 0; w = parent[size_t(w)]) path.push_back(w);
  std::reverse(path.begin(), path.end());
  *next = centre(path.back());
  for (int w : path) {
    const FloorPoint p = centre(w);
    if (std::hypot(p.x - from.x, p.y - from.y) >= lookahead) {
      *next = p;
      break;
    }
  }
  return true;
}

}  // namespace ulr::nav
