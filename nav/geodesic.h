// Where the agent can be, and how far it has to walk: a grid of the cells its centre may occupy
// (the world's free-space grid, data/world.h, shrunk by the agent's radius) and geodesic
// distances over it by Dijkstra, the "geodesic shortest path on the free-space grid" of
// Habitat's SPL.
//
// Moves go to the 8 neighbours of a cell, orthogonal ones cost one cell and diagonal ones
// sqrt(2) cells; a diagonal move needs both orthogonal cells it passes beside to be passable,
// so a path never cuts the corner of an obstacle.
#pragma once
#include <cstdint>
#include <limits>
#include <vector>

#include "data/world.h"

namespace ulr::nav {

constexpr float kUnreachable = std::numeric_limits<float>::infinity();

struct FloorPoint {
  float x = 0, y = 0;  // metres, the world's floor-plan coordinates
};

// Cell (ix, iy) covers [x0 + ix*cell, x0 + (ix+1)*cell) x [y0 + iy*cell, ...).
struct NavGrid {
  float x0 = 0, y0 = 0, cell = 0.05f;
  int width = 0, height = 0;
  std::vector<uint8_t> passable;  // (height, width), 1 = the agent's centre may be here

  bool is_passable(int ix, int iy) const {
    return ix >= 0 && iy >= 0 && ix < width && iy < height && passable[size_t(iy) * width + ix];
  }
  int index(int ix, int iy) const { return iy * width + ix; }
  FloorPoint centre(int index) const {
    return {x0 + (float(index % width) + 0.5f) * cell, y0 + (float(index / width) + 0.5f) * cell};
  }
  // The cell containing (x, y); -1 outside the grid.
  int cell_at(float x, float y) const;
  int count_passable() const;
};

// The cells of w.free_space whose centre lies in a room with a disc of `radius` metres around
// it clear of every blocked cell (World::is_free).
NavGrid make_nav_grid(const World& w, float radius);

// Geodesic distance in metres from every cell to the nearest source cell, kUnreachable where
// no path leads (and on impassable cells). Sources that are not passable are ignored.
std::vector<float> distance_field(const NavGrid& g, const std::vector<int>& sources);

// The distance from a point (not necessarily a cell centre) to the sources: field[c] +
// |point - centre(c)| for the point's own cell c when it is passable (so field[c] at its
// centre), else the least such sum over the reachable cells within two cells of the point (the
// agent's disc fits where the planning grid's wider one does not); kUnreachable when there is
// no such cell, or c is unreachable.
double distance_at(const NavGrid& g, const std::vector<float>& field, float x, float y);

// A shortest path from (x, y) to the sources as cell centres, the first being the cell
// distance_at started from and the last a source; each step goes to the neighbour that
// Dijkstra reached the cell from, so the length of the polyline equals that cell's field value.
// Empty when no source is reachable.
std::vector<FloorPoint> shortest_path(const NavGrid& g, const std::vector<float>& field, float x, float y);

}  // namespace ulr::nav
