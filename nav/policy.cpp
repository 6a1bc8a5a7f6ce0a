#include "nav/policy.h"

#include <algorithm>
#include <cmath>

#include "data/classes.h"

namespace ulr::nav {
namespace {

constexpr float kPi = 3.14159265f;

// A run of floor pixels in one row, columns [left, right].
struct FloorRun {
  int row = 0, left = 0, right = 0;
  int overlap(const FloorRun& o) const { return std::min(right, o.right) - std::max(left, o.left) + 1; }
  float middle() const { return 0.5f * float(left + right); }
};

std::vector<FloorRun> floor_runs(const uint8_t* labels, int size, int row) {
  std::vector<FloorRun> runs;
  const uint8_t* r = labels + size_t(row) * size;
  for (int u = 0; u < size;) {
    if (r[u] != kFloor) {
      ++u;
      continue;
    }
    FloorRun run{row, u, u};
    while (run.right + 1 < size && r[run.right + 1] == kFloor) ++run.right;
    runs.push_back(run);
    u = run.right + 1;
  }
  return runs;
}

// The centreline of the floor ahead: from the bottom row's run nearest the centre column,
// upwards through the run that overlaps the previous one most, to the horizon or to the row
// where the floor ends.
std::vector<FloorRun> floor_centreline(const uint8_t* labels, int size) {
  std::vector<FloorRun> line;
  const int horizon = size / 2;  // rows from here down look at the floor (pitch 0)
  for (int v = size - 1; v >= horizon && line.empty(); --v) {
    float best = 1e9f;
    for (const FloorRun& r : floor_runs(labels, size, v)) {
      const float off = std::max({0.0f, float(r.left) - 0.5f * size, 0.5f * size - float(r.right)});
      if (off < best) best = off, line.assign(1, r);
    }
  }
  while (!line.empty() && line.back().row > horizon) {
    const FloorRun cur = line.back();
    const FloorRun* next = nullptr;
    std::vector<FloorRun> runs = floor_runs(labels, size, cur.row - 1);
    for (const FloorRun& r : runs)
      if (r.overlap(cur) > 0 && (!next || r.overlap(cur) > next->overlap(cur))) next = &r;
    if (!next) break;
    line.push_back(*next);
  }
  return line;
}

// The farthest row's run of each 4-connected region of floor below the horizon with at least
// `min_pixels` pixels, nearest regions (lowest top row) first.
std::vector<FloorRun> floor_far_ends(const uint8_t* labels, int size, int min_pixels) {
  const int horizon = size / 2;
  std::vector<int> region(size_t(size) * size, -1), stack;
  std::vector<FloorRun> ends;
  for (int start = horizon * size; start < size * size; ++start) {
    if (labels[start] != kFloor || region[size_t(start)] >= 0) continue;
    int pixels = 0;
    FloorRun top{size, 0, 0};
    stack.assign(1, start);
    region[size_t(start)] = start;
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      ++pixels;
      const int u = p % size, v = p / size;
      if (v < top.row) top = {v, u, u};
      else if (v == top.row) top.left = std::min(top.left, u), top.right = std::max(top.right, u);
      const int next[4] = {u > 0 ? p - 1 : -1, u + 1 < size ? p + 1 : -1, v > horizon ? p - size : -1,
                           v + 1 < size ? p + size : -1};
      for (int q : next)
        if (q >= 0 && labels[q] == kFloor && region[size_t(q)] < 0) region[size_t(q)] = start, stack.push_back(q);
    }
    if (pixels >= min_pixels) ends.push_back(top);
  }
  return ends;
}

float distance(FloorPoint a, float x, float y) { return std::hypot(a.x - x, a.y - y); }

// a - b in (-pi, pi].
float angle_between(float a, float b) {
  float d = std::remainder(a - b, 2 * kPi);
  return d <= -kPi ? d + 2 * kPi : d;
}

}  // namespace

ModularPolicy::ModularPolicy(int target_class, const NavSettings& nav, const PolicySettings& settings)
    : target_(target_class), nav_(nav), settings_(settings), geometry_(nav) {}

std::pair<int, int> ModularPolicy::cell_of(FloorPoint p) const {
  return {int(std::floor(p.x / settings_.visited_cell)), int(std::floor(p.y / settings_.visited_cell))};
}

Action ModularPolicy::act(const uint8_t* labels, const AgentPose& pose, const StepOutcome& last) {
  const FloorPoint here = {pose.x, pose.y};
  last_pose_ = pose;
  if (!map_) {
    map_ = std::make_unique<FloorMap>(pose.x, pose.y, nav_.radius);
    start_scan(pose, true);  // the first circle, at the start
  }
  visited_.insert(cell_of(here));
  if (last_action_ == Action::Forward && last.collided) map_->add_bump(pose);
  map_->add_stood(pose);
  map_->add_view(labels, nav_.view, pose, geometry_);
  waypoints_.erase(std::remove_if(waypoints_.begin(), waypoints_.end(),
                                  [&](const Waypoint& w) { return visited(w.at); }),
                   waypoints_.end());
  const bool blocked =
      last_action_ == Action::Forward && last.collided && last.moved < 0.5f * nav_.forward_step;
  const TargetView target = look_for_target(labels, pose);
  const int view_pixels = nav_.view * nav_.view;
  Action a;
  if (float(target.pixels) > settings_.stop_coverage * float(view_pixels)) {
    a = Action::Stop;
  } else {
    add_floor_waypoints(labels, pose);
    // Once approaching, a blob of a fraction of the size keeps the target seen: turning moves it
    // from the view's edge, where perspective enlarges it, to the centre.
    const float needed = settings_.seen_fraction * (approaching_ ? settings_.keep_seen : 1.0f);
    const bool seen = float(target.blob) >= needed * float(view_pixels) && step_ >= ignore_target_until_;
    const bool stuck = is_stuck();
    if (seen && stuck && float(target.pixels) >= settings_.stuck_stop_coverage * float(view_pixels)) {
      a = Action::Stop;  // stuck in front of a large target: as close as it gets
    } else if (seen && stuck) {
      ignore_target_until_ = step_ + settings_.ignore_steps;  // look elsewhere for a while
      approaching_ = has_last_target_ = false;
      a = explore(pose, blocked);
    } else if (seen) {
      a = approach(target, pose, last);
    } else {
      if (stuck && has_goal_) given_up_.push_back(goal_.at), has_goal_ = false;
      a = explore(pose, blocked);
    }
  }
  last_action_ = a;
  ++step_;
  return a;
}

bool ModularPolicy::is_stuck() {
  // Where the agent was stuck_steps ago; turning in place during a circle does not count.
  recent_.push_back({last_pose_.x, last_pose_.y});
  if (int(recent_.size()) > settings_.stuck_steps) recent_.pop_front();
  if (scan_turns_left_ > 0 || int(recent_.size()) < settings_.stuck_steps) return false;
  const FloorPoint& then = recent_.front();
  if (distance(then, recent_.back().x, recent_.back().y) >= settings_.stuck_distance) return false;
  recent_.clear();
  return true;
}

ModularPolicy::TargetView ModularPolicy::look_for_target(const uint8_t* labels, const AgentPose& pose) const {
  TargetView t;
  const int n = nav_.view;
  std::vector<int> blob_of(size_t(n) * n, -1), best_pixels, stack, pixels;
  for (int i = 0; i < n * n; ++i) {
    if (labels[i] != target_) continue;
    ++t.pixels;
    if (blob_of[size_t(i)] >= 0) continue;
    // The 4-connected blob of pixel i, by an explicit stack.
    pixels.clear();
    stack.assign(1, i);
    blob_of[size_t(i)] = i;
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      pixels.push_back(p);
      const int u = p % n, v = p / n;
      const int next[4] = {u > 0 ? p - 1 : -1, u + 1 < n ? p + 1 : -1, v > 0 ? p - n : -1, v + 1 < n ? p + n : -1};
      for (int q : next)
        if (q >= 0 && labels[q] == target_ && blob_of[size_t(q)] < 0) blob_of[size_t(q)] = i, stack.push_back(q);
    }
    if (pixels.size() > best_pixels.size()) best_pixels = pixels;
  }
  if (best_pixels.empty()) return t;
  t.blob = int(best_pixels.size());
  double sum_u = 0;
  for (int p : best_pixels) sum_u += p % n;
  t.centre_u = float(sum_u / double(best_pixels.size()));
  // The blob's lowest pixel in its centre column (or anywhere, if that column misses it), then
  // the floor there: the pixel itself when it lies below the horizon (an object standing on the
  // floor), else the first floor pixel below it (the wall's foot under a picture or a TV).
  const int column = std::clamp(int(std::lround(t.centre_u)), 0, n - 1);
  int bottom = -1, bottom_any = -1, bottom_any_u = column;
  for (int p : best_pixels) {
    if (p % n == column) bottom = std::max(bottom, p / n);
    if (p / n > bottom_any) bottom_any = p / n, bottom_any_u = p % n;
  }
  int u = column;
  if (bottom < 0) bottom = bottom_any, u = bottom_any_u;
  t.touches_bottom = bottom_any == n - 1;
  int floor_row = -1;
  if (bottom >= n / 2) floor_row = bottom;
  for (int v = bottom + 1; v < n && floor_row < 0; ++v)
    if (labels[size_t(v) * n + u] == kFloor) floor_row = v;
  float ahead = 0, right = 0;
  if (floor_row >= 0 && geometry_.floor_offset(float(u), float(floor_row), &ahead, &right)) {
    t.has_floor_point = true;
    t.floor_point = offset_point(pose, ahead, right);
  }
  return t;
}

void ModularPolicy::offer_waypoint(FloorPoint p, const AgentPose& pose) {
  const float spacing = settings_.waypoint_spacing;
  if (distance(p, pose.x, pose.y) < spacing || visited(p) || map_->blocked_at(p.x, p.y)) return;
  auto near = [&](FloorPoint q) { return distance(p, q.x, q.y) < spacing; };
  if (has_goal_ && near(goal_.at)) return;
  for (const Waypoint& w : waypoints_)
    if (near(w.at)) return;
  for (const FloorPoint& q : given_up_)
    if (near(q)) return;
  Waypoint w;
  w.at = p;
  waypoints_.push_back(w);
}

void ModularPolicy::add_floor_waypoints(const uint8_t* labels, const AgentPose& pose) {
  const int n = nav_.view;
  // The far end of each floor region (the centreline's and those beside or beyond obstacles),
  // pulled back towards the agent: beyond it lies a wall or an obstacle.
  float ahead = 0, right = 0;
  for (const FloorRun& far : floor_far_ends(labels, n, settings_.min_floor_region))
    if (geometry_.floor_offset(far.middle(), float(far.row), &ahead, &right) && ahead > settings_.pull_back) {
      const float keep = (ahead - settings_.pull_back) / ahead;
      offer_waypoint(offset_point(pose, ahead * keep, right * keep), pose);
    }
  const std::vector<FloorRun> line = floor_centreline(labels, n);
  // Branches: an edge of the floor that lies further out (in metres, at its own distance) than
  // three rows nearer, neither edge being the border of the view.
  const int lag = 3;
  for (size_t i = lag; i < line.size(); ++i) {
    const FloorRun &r = line[i], &before = line[i - lag];
    float a = 0, left_now = 0, right_now = 0, left_before = 0, right_before = 0;
    geometry_.floor_offset(float(r.left), float(r.row), &a, &left_now);
    geometry_.floor_offset(float(r.right), float(r.row), &ahead, &right_now);
    geometry_.floor_offset(float(before.left), float(before.row), &a, &left_before);
    geometry_.floor_offset(float(before.right), float(before.row), &a, &right_before);
    if (r.left > 0 && before.left > 0 && left_before - left_now > settings_.branch_jump)
      offer_waypoint(offset_point(pose, ahead, 0.5f * (left_now + left_before)), pose);
    if (r.right < n - 1 && before.right < n - 1 && right_now - right_before > settings_.branch_jump)
      offer_waypoint(offset_point(pose, ahead, 0.5f * (right_now + right_before)), pose);
  }
}

Action ModularPolicy::approach(const TargetView& target, const AgentPose& pose, const StepOutcome& last) {
  approaching_ = true;
  scan_turns_left_ = 0;
  if (target.has_floor_point) has_last_target_ = true, last_target_ = target.floor_point;
  // A blob reaching the bottom row extends below the lowest ray, which meets the floor about a
  // metre ahead: the target is nearer than that.
  const bool near = target.touches_bottom || !target.has_floor_point ||
                    distance(target.floor_point, pose.x, pose.y) <= settings_.close_enough;
  if (near && last_action_ == Action::Forward && last.collided && ++near_bumps_ >= settings_.near_bumps)
    return Action::Stop;  // as close as it gets
  FloorPoint next;
  if (!near && plan(pose, target.floor_point, 0.5f * settings_.close_enough, &next))
    return steer_to(next, pose);  // around what the map shows between it and the target
  return steer(geometry_.column_angle(target.centre_u) * 180.0f / kPi);
}

Action ModularPolicy::explore(const AgentPose& pose, bool blocked) {
  if (approaching_) {  // the target was lost: go where it was last seen, or look around
    approaching_ = false;
    if (has_last_target_) {
      goal_ = Waypoint{};
      goal_.at = last_target_;
      goal_.budget = 6 + int(3 * distance(last_target_, pose.x, pose.y) / nav_.forward_step);
      has_goal_ = goal_is_target_ = true;
      has_last_target_ = false;
    } else {
      start_scan(pose, true);
    }
  }
  if (scan_turns_left_ > 0) {
    --scan_turns_left_;
    return Action::TurnLeft;
  }
  // Each pass of the loop either returns or drops the goal, so it ends.
  while (true) {
    if (!has_goal_ && !pick_waypoint(pose)) {
      not_found_ = true;
      return Action::Stop;
    }
    if (distance(goal_.at, pose.x, pose.y) < settings_.arrive_distance) {
      has_goal_ = false;
      visited_.insert(cell_of(goal_.at));
      start_scan(pose, goal_is_target_);
      if (scan_turns_left_ > 0) {
        --scan_turns_left_;
        return Action::TurnLeft;
      }
      continue;
    }
    if (blocked) {  // the bump is on the map now; the next plan goes around it
      blocked = false;
      if (++goal_.blocked >= settings_.waypoint_patience) {
        given_up_.push_back(goal_.at);
        has_goal_ = false;
        continue;
      }
    }
    FloorPoint next;
    if (++goal_.steps <= goal_.budget && plan(pose, goal_.at, 0.8f * settings_.arrive_distance, &next))
      return steer_to(next, pose);
    given_up_.push_back(goal_.at);
    has_goal_ = false;
  }
}

bool ModularPolicy::plan(const AgentPose& pose, FloorPoint to, float reach, FloorPoint* next) {
  if (map_->next_point({pose.x, pose.y}, to, reach, settings_.lookahead, next)) return true;
  // Marks close around the agent that shut every way out are more likely wrong than right.
  map_->forget_around(pose, 2 * nav_.radius + 0.1f);
  return map_->next_point({pose.x, pose.y}, to, reach, settings_.lookahead, next);
}

Action ModularPolicy::steer_to(FloorPoint p, const AgentPose& pose) const {
  const float error = angle_between(std::atan2(p.y - pose.y, p.x - pose.x), pose.yaw) * 180.0f / kPi;
  return steer(-error);  // yaw grows to the left
}

Action ModularPolicy::steer(float angle_right) const {
  // Never undo the previous turn (a new view moves the plan, or the blob's centre, across the
  // axis): go forward instead.
  if (angle_right > settings_.steer_deg && last_action_ != Action::TurnLeft) return Action::TurnRight;
  if (angle_right < -settings_.steer_deg && last_action_ != Action::TurnRight) return Action::TurnLeft;
  return Action::Forward;
}

void ModularPolicy::start_scan(const AgentPose& pose, bool always) {
  if (!always)
    for (const FloorPoint& p : scanned_at_)
      if (distance(p, pose.x, pose.y) < settings_.scan_spacing) return;
  scanned_at_.push_back({pose.x, pose.y});
  scan_turns_left_ = int(std::lround(360.0f / nav_.turn_deg)) - 1;  // the view before the turns counts
}

bool ModularPolicy::pick_waypoint(const AgentPose& pose) {
  if (waypoints_.empty()) return false;
  size_t best = 0;
  for (size_t i = 1; i < waypoints_.size(); ++i)
    if (distance(waypoints_[i].at, pose.x, pose.y) < distance(waypoints_[best].at, pose.x, pose.y)) best = i;
  goal_ = waypoints_[best];
  goal_.budget = 6 + int(3 * distance(goal_.at, pose.x, pose.y) / nav_.forward_step);
  waypoints_.erase(waypoints_.begin() + long(best));
  has_goal_ = true;
  goal_is_target_ = false;
  return true;
}

}  // namespace ulr::nav
