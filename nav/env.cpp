#include "nav/env.h"

#include <cmath>

namespace ulr::nav {
namespace {

constexpr float kPi = 3.14159265f;  // the renderer's value, so view rays match its rays
constexpr int kSubSteps = 10;

// Heading in (-pi, pi].
float wrap_angle(float a) {
  a = std::remainder(a, 2 * kPi);
  return a <= -kPi ? a + 2 * kPi : a;
}

}  // namespace

const char* action_name(Action a) {
  switch (a) {
    case Action::Forward: return "move_forward";
    case Action::TurnLeft: return "turn_left";
    case Action::TurnRight: return "turn_right";
    case Action::Stop: return "stop";
  }
  return "?";
}

char action_letter(Action a) { return "FLRS"[int(a)]; }

StepOutcome move_forward(const World& w, float radius, float distance, AgentPose& pose) {
  StepOutcome out;
  const float x0 = pose.x, y0 = pose.y;
  const float dx = distance * std::cos(pose.yaw) / kSubSteps, dy = distance * std::sin(pose.yaw) / kSubSteps;
  for (int k = 0; k < kSubSteps; ++k) {
    if (w.is_free(pose.x + dx, pose.y + dy, radius)) {
      pose.x += dx, pose.y += dy;
      continue;
    }
    out.collided = true;
    if (std::fabs(dx) > 1e-7f && w.is_free(pose.x + dx, pose.y, radius)) pose.x += dx;        // slide along x
    else if (std::fabs(dy) > 1e-7f && w.is_free(pose.x, pose.y + dy, radius)) pose.y += dy;   // slide along y
    else break;
  }
  out.moved = std::hypot(pose.x - x0, pose.y - y0);
  return out;
}

StepOutcome apply_action(const World& w, const NavSettings& s, Action a, AgentPose& pose) {
  const float turn = s.turn_deg * kPi / 180.0f;
  switch (a) {
    case Action::Forward: return move_forward(w, s.radius, s.forward_step, pose);
    case Action::TurnLeft: pose.yaw = wrap_angle(pose.yaw + turn); break;
    case Action::TurnRight: pose.yaw = wrap_angle(pose.yaw - turn); break;
    case Action::Stop: break;
  }
  return {};
}

CameraPose camera_pose(const NavSettings& s, const AgentPose& pose) {
  CameraPose c;
  c.x = pose.x, c.y = pose.y, c.z = s.camera_height;
  c.yaw = pose.yaw, c.pitch = 0;
  return c;
}

RenderOptions view_options(const NavSettings& s) {
  RenderOptions o;  // supersampled, no shadows: as the training views
  o.height = o.width = s.view;
  o.hfov_deg = s.hfov_deg;
  return o;
}

ViewGeometry::ViewGeometry(const NavSettings& s)
    : size(float(s.view)),
      focal(0.5f * float(s.view) / std::tan(0.5f * s.hfov_deg * kPi / 180.0f)),
      camera_height(s.camera_height) {}

float ViewGeometry::column_angle(float u) const { return std::atan((u + 0.5f - 0.5f * size) / focal); }

bool ViewGeometry::floor_offset(float u, float v, float* ahead, float* right) const {
  const float a = u + 0.5f - 0.5f * size, b = 0.5f * size - (v + 0.5f);
  if (b >= 0) return false;
  *ahead = camera_height * focal / -b;
  *right = camera_height * a / -b;
  return true;
}

Vec3 ViewGeometry::ray(const AgentPose& pose, float u, float v) const {
  const float a = u + 0.5f - 0.5f * size, b = 0.5f * size - (v + 0.5f);
  const float c = std::cos(pose.yaw), s = std::sin(pose.yaw);
  // forward (c, s, 0) * focal + right (s, -c, 0) * a + up (0, 0, 1) * b
  Vec3 d = {c * focal + s * a, s * focal - c * a, b};
  const float len = std::sqrt(d.x * d.x + d.y * d.y + d.z * d.z);
  return {d.x / len, d.y / len, d.z / len};
}

FloorPoint offset_point(const AgentPose& pose, float ahead, float right) {
  const float c = std::cos(pose.yaw), s = std::sin(pose.yaw);
  return {pose.x + ahead * c + right * s, pose.y + ahead * s - right * c};
}

}  // namespace ulr::nav
