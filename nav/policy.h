// The paper's modular navigation policy, driven by a segmentation of the current view (a
// (view, view) map of class ids: the model's prediction, or the true labels for the oracle).
// It knows its own pose (odometry, noise-free) and the camera's geometry, and nothing of the
// apartment.
//
//   semantic coverage   at the start and at each new place it reaches, turn a full circle and
//                       look for the target class
//   object-goal         the target is seen (its pixels cover at least seen_fraction of the view):
//                       steer to the pixel centre of its largest blob and approach; stop when the
//                       target covers more than stop_coverage of the view, or when a forward move
//                       collides within close_enough of the target's estimated floor point (the
//                       agent cannot get closer); a collision further away starts a detour
//   floor-based         the target is not seen: go to waypoints taken from the predicted floor
//                       (the far end of the floor's centreline, pulled back, and branch points
//                       where the floor's edge jumps outwards, a doorway or side passage),
//                       nearest first
//   not found           no waypoint is left: stop and declare the target not found
//
// Memory (from odometry): the 0.5 m cells the agent has been in; waypoints in them, or near
// waypoints already pending or given up, are not added, and a pending waypoint is dropped once
// its cell is visited. And a floor map (nav/floor_map.h) of the floor its segmentation showed,
// where that floor ended and where it bumped into something: the agent goes to a waypoint along
// a path planned over that map, steering to a point `lookahead` along it. A waypoint is given up
// when no path leads there, after `waypoint_patience` blocked moves, or when reaching it takes
// too long.
#pragma once
#include <deque>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "nav/env.h"
#include "nav/floor_map.h"

namespace ulr::nav {

struct PolicySettings {
  float stop_coverage = 0.40f;    // the paper's success threshold
  float seen_fraction = 0.01f;    // target pixels (largest blob) that count as seeing it
  float keep_seen = 0.4f;         // while approaching, this share of seen_fraction suffices
  float steer_deg = 15.0f;        // turn when the target or waypoint is further off the axis
  float close_enough = 1.0f;      // colliding this near the target's floor point...
  int near_bumps = 4;             // ...this many times: stop
  float arrive_distance = 0.5f;   // a waypoint is reached
  float waypoint_spacing = 0.75f; // between waypoints, and from the agent
  float visited_cell = 0.5f;      // the memory's cells, metres
  float pull_back = 0.4f;         // far ends of the floor become waypoints this much nearer
  float branch_jump = 0.6f;       // a floor edge moving out this much (metres) is a branch
  int min_floor_region = 20;      // floor regions of fewer pixels give no waypoint
  float scan_spacing = 1.5f;      // no new circle within this of an earlier one
  int waypoint_patience = 4;      // blocked moves before a waypoint is given up
  float lookahead = 0.6f;         // steer to the point this far along the planned path
  int stuck_steps = 10;           // moving less than stuck_distance in this many steps is stuck:
  float stuck_distance = 0.4f;    // the waypoint is given up, or the target ignored for
  int ignore_steps = 30;          // this many steps, or, when the target covers at least
  float stuck_stop_coverage = 0.1f;  // this share of the view, the agent stops
};

class ModularPolicy {
 public:
  ModularPolicy(int target_class, const NavSettings& nav, const PolicySettings& settings = {});

  // The next action for the view `labels` (view*view class ids, row-major) seen from `pose`;
  // `last` is the outcome of the previous action (zero before the first).
  Action act(const uint8_t* labels, const AgentPose& pose, const StepOutcome& last);

  bool declared_not_found() const { return not_found_; }
  size_t pending_waypoints() const { return waypoints_.size(); }

 private:
  struct Waypoint {
    FloorPoint at;
    int blocked = 0, steps = 0, budget = 0;
  };
  struct TargetView {
    int pixels = 0;         // all target pixels
    int blob = 0;           // pixels of its largest 4-connected blob
    float centre_u = 0;     // the blob's mean column
    bool touches_bottom = false;  // some pixel in the view's bottom row
    bool has_floor_point = false;
    FloorPoint floor_point; // where the blob meets the floor (estimated), world coordinates
  };

  TargetView look_for_target(const uint8_t* labels, const AgentPose& pose) const;
  void add_floor_waypoints(const uint8_t* labels, const AgentPose& pose);
  void offer_waypoint(FloorPoint p, const AgentPose& pose);
  Action approach(const TargetView& target, const AgentPose& pose, const StepOutcome& last);
  Action explore(const AgentPose& pose, bool blocked);
  // The next point along a path over the floor map to within `reach` of `to`; false when none.
  bool is_stuck();
  bool plan(const AgentPose& pose, FloorPoint to, float reach, FloorPoint* next);
  Action steer_to(FloorPoint p, const AgentPose& pose) const;
  Action steer(float angle_right_deg) const;  // towards a direction this far right of the heading
  void start_scan(const AgentPose& pose, bool always);
  bool pick_waypoint(const AgentPose& pose);
  std::pair<int, int> cell_of(FloorPoint p) const;
  bool visited(FloorPoint p) const { return visited_.count(cell_of(p)) > 0; }

  int target_;
  NavSettings nav_;
  std::unique_ptr<FloorMap> map_;       // made at the first step, around the start
  PolicySettings settings_;
  ViewGeometry geometry_;
  std::set<std::pair<int, int>> visited_;
  std::vector<Waypoint> waypoints_;     // pending
  std::vector<FloorPoint> given_up_;
  std::vector<FloorPoint> scanned_at_;
  bool has_goal_ = false;               // travelling to goal_
  Waypoint goal_;
  bool goal_is_target_ = false;         // goal_ is where the target was last seen
  int scan_turns_left_ = 0;
  bool approaching_ = false;
  bool has_last_target_ = false;
  FloorPoint last_target_;
  int near_bumps_ = 0;                  // collisions near the target so far
  int step_ = 0, ignore_target_until_ = 0;
  AgentPose last_pose_;
  std::deque<FloorPoint> recent_;       // the last stuck_steps positions
  Action last_action_ = Action::Stop;
  bool not_found_ = false;
};

}  // namespace ulr::nav
