// The floor map a navigating agent draws for itself: a grid in world coordinates (it knows its
// pose from odometry) of where its segmentation showed floor and where the floor ended, plus
// where it bumped into something and where it has stood. The modular policy plans its way to a
// waypoint over this map, so that it goes around what it has seen instead of into it.
//
// Evidence per cell is a small count: each view that shows the cell as floor lowers it, each
// view that shows the floor ending there raises it, so a few wrong pixels of a prediction do
// not wall a room off. A bump and a place the agent stood in are strong evidence.
#pragma once
#include <cstdint>
#include <vector>

#include "nav/env.h"

namespace ulr::nav {

class FloorMap {
 public:
  // A square of 2 * half_extent metres around (x, y), in cells of `cell` metres.
  FloorMap(float x, float y, float radius, float cell = 0.1f, float half_extent = 16.0f);

  // Adds a (size, size) segmentation seen from `pose`: in each column, from the bottom up to
  // the horizon or max_range, floor pixels mark their floor points free; the point just beyond
  // the last floor pixel, where a wall or an object cuts the floor off, counts as blocked.
  void add_view(const uint8_t* labels, int size, const AgentPose& pose, const ViewGeometry& geometry,
                float max_range = 5.0f);
  void add_bump(const AgentPose& pose);   // something lies just ahead of the agent
  void add_stood(const AgentPose& pose);  // the agent's own cell is free
  // Forgets what views marked blocked within `distance` of the agent (when it boxes the agent
  // in); bumps stay.
  void forget_around(const AgentPose& pose, float distance);

  // The point about `lookahead` metres along a shortest path over the map from `from` to within
  // `reach` of `to`, through cells with no blocked cell centre nearer than the agent's radius
  // (cells never seen cost twice a seen floor cell). False when no such path exists.
  bool next_point(FloorPoint from, FloorPoint to, float reach, float lookahead, FloorPoint* next) const;

  bool blocked_at(float x, float y) const;  // the cell holding (x, y) counts as blocked

 private:
  int cell_index(float x, float y) const;  // -1 outside the map
  void add_evidence(float x, float y, int delta);

  float x0_, y0_, cell_, radius_;
  int size_;
  std::vector<int8_t> evidence_;  // (size, size) > 0 blocked, < 0 free, 0 unknown
};

}  // namespace ulr::nav
