// The navigation environment: a cylinder agent in a synthetic apartment, Habitat's discrete
// actions, collisions with sliding, and the camera on top of it. Only the frame the sensor
// makes reaches an agent; the renderer's labels are for scoring and the oracle.
//
// Motion: move_forward goes 0.25 m along the heading in ten sub-steps; a sub-step whose target
// overlaps an obstacle (a blocked cell of the world's free-space grid, data/world.h: walls,
// doors, furniture footprints, people) moves along x alone or y alone instead when that is free
// (the agent slides along the wall, as habitat-sim with allow_sliding), and the step ends at
// the first sub-step that can move neither way. Any shortened sub-step counts the step as a
// collision. Turns change the heading only and never collide.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/render.h"
#include "data/world.h"
#include "nav/geodesic.h"

namespace ulr::nav {

enum class Action : uint8_t { Forward, TurnLeft, TurnRight, Stop };
const char* action_name(Action a);  // "move_forward", "turn_left", "turn_right", "stop"
char action_letter(Action a);       // 'F', 'L', 'R', 'S' (trajectories are written as strings)

// The agent, its camera and the episode's limits. The defaults are the benchmark's.
struct NavSettings {
  float radius = 0.18f;          // the agent's cylinder, metres
  float camera_height = 0.88f;   // metres above the floor; pitch 0
  float hfov_deg = 79.0f;        // horizontal field of view (square views)
  float forward_step = 0.25f;    // move_forward, metres
  float turn_deg = 30.0f;        // turn_left / turn_right
  int max_steps = 500;           // actions per episode, stop included
  int view = 64;                 // the HR view rendered each step (and the models' output size)
  int frame = 16;                // the sensor's frame, what a ULR agent sees
  float success_distance = 1.0f; // Habitat: stop within this of a goal instance
  float plan_margin = 0.02f;     // added to the radius for the planning grid (see geodesic.h)
};

// Where the agent is: floor-plan position and heading (radians from +x towards +y).
struct AgentPose {
  float x = 0, y = 0, yaw = 0;
};

struct StepOutcome {
  float moved = 0;        // metres between the poses before and after
  bool collided = false;  // a forward move was shortened by an obstacle
};

// What an agent did in one episode.
struct Trajectory {
  std::vector<AgentPose> poses;  // the start, then the pose after each action
  std::vector<Action> actions;
  int collisions = 0;
  double path_length = 0;        // metres walked: the sum of the distances between poses
  bool stopped = false;          // it called stop (declaring "not found" included)
  bool not_found = false;
  void start(const AgentPose& pose) { poses.assign(1, pose); }
  void record(Action a, const StepOutcome& outcome, const AgentPose& after) {
    actions.push_back(a);
    poses.push_back(after);
    collisions += outcome.collided;
    path_length += outcome.moved;
    stopped = stopped || a == Action::Stop;
  }
};

// Applies one action (Stop changes nothing) to `pose`, which must be free for the radius.
StepOutcome apply_action(const World& w, const NavSettings& s, Action a, AgentPose& pose);
// Moves up to `distance` metres along the current heading with sliding, as described above.
StepOutcome move_forward(const World& w, float radius, float distance, AgentPose& pose);

// The camera of an agent at `pose`.
CameraPose camera_pose(const NavSettings& s, const AgentPose& pose);
RenderOptions view_options(const NavSettings& s);

// The pinhole camera of the views (pitch 0, square pixels), for turning pixels into
// directions and floor points. Pixel (u, v) is column u, row v of a size x size view.
struct ViewGeometry {
  float size = 64;        // pixels across
  float focal = 0;        // pixels
  float camera_height = 0.88f;
  explicit ViewGeometry(const NavSettings& s);
  // The angle from the optical axis to column u's centre, positive to the right.
  float column_angle(float u) const;
  // The floor point seen through pixel (u, v)'s centre, as (ahead, right) metres from the
  // agent; false when the pixel lies at or above the horizon.
  bool floor_offset(float u, float v, float* ahead, float* right) const;
  // The unit direction of pixel (u, v)'s centre ray for a camera at `pose` (the renderer's rays).
  Vec3 ray(const AgentPose& pose, float u, float v) const;
};

// A point `ahead` metres in front of and `right` metres to the right of `pose`.
FloorPoint offset_point(const AgentPose& pose, float ahead, float right);

}  // namespace ulr::nav
