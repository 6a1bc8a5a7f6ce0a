#include "nav/agents.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>

#include "data/sensor.h"
#include "engine/error.h"
#include "engine/parallel.h"
#include "eval/metrics.h"
#include "ops/ops.h"

namespace ulr::nav {
namespace {

constexpr float kPi = 3.14159265f;
constexpr uint64_t kRandomAgentStream = 0x72616e646f6dULL;  // "random"

std::string square(int n) { return std::to_string(n) + "x" + std::to_string(n); }

// The running state of one episode.
struct Running {
  AgentPose pose;
  StepOutcome last;
  Trajectory trajectory;
  std::unique_ptr<ModularPolicy> policy;
  Rng rng;
  bool done = false;
};

// (n,3,H,W) from n (3,H,W) tensors, padded to at least kMinBatch with copies of the last.
Tensor stack_frames(const std::vector<Tensor>& frames) {
  const int64_t n = int64_t(frames.size()), padded = std::max<int64_t>(n, kMinBatch);
  const Shape& s = frames[0].shape();
  Tensor out = Tensor::empty({padded, s[0], s[1], s[2]});
  const size_t per = size_t(frames[0].numel());
  for (int64_t i = 0; i < padded; ++i)
    std::memcpy(out.data() + size_t(i) * per, frames[size_t(std::min(i, n - 1))].data(), per * sizeof(float));
  return out;
}

// The segmentation of each view by `net`, as (view*view) class maps, in batches.
std::vector<std::vector<uint8_t>> segment_views(const ULRNet& net, const std::vector<Tensor>& views,
                                                int batch, std::vector<Tensor>* frames_out) {
  NoGrad no_grad;
  SensorOptions sensor;
  sensor.out_h = net.config().in_h, sensor.out_w = net.config().in_w;
  std::vector<std::vector<uint8_t>> out;
  for (size_t begin = 0; begin < views.size(); begin += size_t(batch)) {
    const size_t end = std::min(views.size(), begin + size_t(batch));
    std::vector<Tensor> chunk(views.begin() + long(begin), views.begin() + long(end));
    Tensor hr = stack_frames(chunk);
    Tensor input = net.method() == Method::Hr ? hr : sensor_capture(hr, sensor);
    const Labels pred = argmax_classes(net.forward(input).logits);
    const size_t plane = size_t(pred.shape[1] * pred.shape[2]);
    for (size_t i = 0; i < end - begin; ++i) {
      out.emplace_back(pred.data.begin() + long(i * plane), pred.data.begin() + long((i + 1) * plane));
      if (frames_out)
        frames_out->push_back(reshape(slice(input, 0, int64_t(i), int64_t(i) + 1), {3, input.size(2), input.size(3)}));
    }
  }
  return out;
}

// The shortest-path agent: straight pieces of the geodesic path, then a turn to face a goal
// instance it sees, then stop.
Trajectory run_shortest(const NavTask& t, const NavSettings& s) {
  const World& w = *t.apartment->world;
  Trajectory tr;
  AgentPose pose = t.episode.start;
  tr.start(pose);
  const std::vector<FloorPoint> path = shortest_path(t.apartment->grid, t.goal->field, pose.x, pose.y);
  // The corners of the path: points where the direction of the next move changes.
  std::vector<FloorPoint> corners;
  for (size_t i = 0; i < path.size(); ++i) {
    const bool last = i + 1 == path.size();
    if (!last && i > 0) {
      const float ax = path[i].x - path[i - 1].x, ay = path[i].y - path[i - 1].y;
      const float bx = path[i + 1].x - path[i].x, by = path[i + 1].y - path[i].y;
      if (std::fabs(ax * by - ay * bx) < 1e-6f && ax * bx + ay * by > 0) continue;  // straight on
    }
    corners.push_back(path[i]);
  }
  for (const FloorPoint& c : corners) {
    const float length = std::hypot(c.x - pose.x, c.y - pose.y);
    if (length < 1e-6f) continue;
    pose.yaw = std::atan2(c.y - pose.y, c.x - pose.x);
    const int pieces = int(std::ceil(length / s.forward_step - 1e-4f));
    for (int k = 0; k < pieces && int(tr.actions.size()) < s.max_steps - 2; ++k) {
      const float remaining = std::hypot(c.x - pose.x, c.y - pose.y);
      const StepOutcome o = move_forward(w, s.radius, std::min(remaining, length / float(pieces)), pose);
      tr.record(Action::Forward, o, pose);
    }
  }
  // Face the nearest goal instance seen from here.
  const float half_vfov = 0.5f * s.hfov_deg * kPi / 180.0f;
  float best = 1e9f;
  float yaw = pose.yaw;
  for (int inst : t.goal->instances) {
    const Instance& in = w.instances[size_t(inst)];
    const float d = distance_to_rect(in.footprint, pose.x, pose.y);
    if (d > s.success_distance || d >= best || !sees_instance(w, inst, pose.x, pose.y, s.camera_height, half_vfov))
      continue;
    best = d;
    yaw = std::atan2(0.5f * (in.lo.y + in.hi.y) - pose.y, 0.5f * (in.lo.x + in.hi.x) - pose.x);
  }
  const float turn = std::remainder(yaw - pose.yaw, 2 * kPi);
  pose.yaw = yaw;
  tr.record(turn >= 0 ? Action::TurnLeft : Action::TurnRight, {}, pose);
  tr.record(Action::Stop, {}, pose);
  return tr;
}

}  // namespace

void check_model_fits(const ULRNet& net, const NavSettings& s, const std::string& label) {
  const ModelConfig& c = net.config();
  if (c.out_h() != s.view || c.out_w() != s.view)
    throw Error(label + ": segments at " + std::to_string(c.out_h()) + "x" + std::to_string(c.out_w()) +
                "; navigation needs " + square(s.view) + " (the views the agents see)");
  if (net.method() != Method::Hr && (c.in_h != s.frame || c.in_w != s.frame))
    throw Error(label + ": takes " + std::to_string(c.in_h) + "x" + std::to_string(c.in_w) +
                " frames; navigation gives the agents " + square(s.frame) + " frames");
}

AgentRun run_agent(const Agent& agent, const std::vector<NavTask>& tasks, const RunOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  const NavSettings& s = o.nav;
  if (agent.kind == AgentKind::Model) {
    if (!agent.net) throw Error(agent.label + ": no network");
    check_model_fits(*agent.net, s, agent.label);
  }
  AgentRun run;
  std::vector<Running> eps(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    Running& e = eps[i];
    e.pose = tasks[i].episode.start;
    e.trajectory.start(e.pose);
    if (agent.sees_frames()) e.policy = std::make_unique<ModularPolicy>(tasks[i].episode.category, s, o.policy);
    e.rng = Rng(o.seed ^ kRandomAgentStream, uint64_t(tasks[i].episode.id) + 1);
    if (agent.kind == AgentKind::Shortest) e.trajectory = run_shortest(tasks[i], s), e.done = true;
  }
  const RenderOptions view = view_options(s);
  for (int step = 0; step < s.max_steps; ++step) {
    std::vector<size_t> active;
    for (size_t i = 0; i < eps.size(); ++i)
      if (!eps[i].done) active.push_back(i);
    if (active.empty()) break;
    // What each running episode's agent sees: the view, then the labels its policy uses.
    std::vector<Tensor> views(active.size());
    std::vector<std::vector<uint8_t>> labels(active.size());
    std::vector<Tensor> frames;
    if (agent.sees_frames()) {
      parallel_for(int64_t(active.size()), 1, [&](int64_t b, int64_t e) {
        for (int64_t k = b; k < e; ++k) {
          const size_t i = active[size_t(k)];
          RenderResult r = render(*tasks[i].apartment->world, camera_pose(s, eps[i].pose), view);
          views[size_t(k)] = r.rgb;
          if (agent.kind == AgentKind::Oracle) labels[size_t(k)] = std::move(r.labels.data);
        }
      });
      run.frames += int64_t(active.size());
      if (agent.kind == AgentKind::Model) labels = segment_views(*agent.net, views, o.batch, &frames);
    }
    for (size_t k = 0; k < active.size(); ++k) {
      const size_t i = active[k];
      Running& e = eps[i];
      const Action a = agent.kind == AgentKind::Random ? Action(e.rng.below(4))
                                                       : e.policy->act(labels[k].data(), e.pose, e.last);
      if (int(i) == o.record_episode)
        run.recorded.push_back({agent.kind == AgentKind::Model ? frames[k] : views[k], labels[k], a});
      e.last = apply_action(*tasks[i].apartment->world, s, a, e.pose);
      e.trajectory.record(a, e.last, e.pose);
      if (a == Action::Stop) {
        e.done = true;
        e.trajectory.not_found = e.policy && e.policy->declared_not_found();
      }
      if (int(e.trajectory.actions.size()) >= s.max_steps) e.done = true;
    }
  }
  run.results.resize(tasks.size());
  parallel_for(int64_t(tasks.size()), 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) run.results[size_t(i)] = score_episode(tasks[size_t(i)], s, eps[size_t(i)].trajectory);
  });
  for (Running& e : eps) run.trajectories.push_back(std::move(e.trajectory));
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return run;
}

}  // namespace ulr::nav
