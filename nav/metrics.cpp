#include "nav/metrics.h"

#include <algorithm>
#include <cmath>

#include "data/classes.h"
#include "eval/statistics.h"

namespace ulr::nav {
namespace {

// Whether one of `candidates` (instance indices) is hit first by the centre ray of some pixel
// of the view from `pose`.
bool any_in_view(const World& w, const NavSettings& s, const AgentPose& pose, const std::vector<int>& candidates) {
  const ViewGeometry geometry(s);
  const Vec3 eye = {pose.x, pose.y, s.camera_height};
  for (int v = 0; v < s.view; ++v)
    for (int u = 0; u < s.view; ++u) {
      const RayHit hit = cast_ray(w, eye, geometry.ray(pose, float(u), float(v)));
      if (hit.primitive < 0) continue;
      const int inst = w.primitives[size_t(hit.primitive)].instance;
      if (std::find(candidates.begin(), candidates.end(), inst) != candidates.end()) return true;
    }
  return false;
}

double nearest_view_point(const NavTask& t, float x, float y) {
  double best = double(kUnreachable);
  for (int c : t.goal->view_points) {
    const FloorPoint p = t.apartment->grid.centre(c);
    best = std::min(best, std::hypot(double(p.x) - x, double(p.y) - y));
  }
  return best;
}

Json interval_json(const Interval& i) {
  Json j = Json::array();
  j.push(i.lo).push(i.hi);
  return j;
}

}  // namespace

double spl(bool success, double geodesic, double path_length) {
  if (!success) return 0;
  return geodesic / std::max(path_length, geodesic);
}

double soft_spl(double dtg, double geodesic, double path_length) {
  const double progress = std::max(0.0, 1.0 - dtg / geodesic);
  return progress * geodesic / std::max(path_length, geodesic);
}

EpisodeResult score_episode(const NavTask& t, const NavSettings& s, const Trajectory& tr) {
  const World& w = *t.apartment->world;
  const AgentPose& end = tr.poses.back();
  EpisodeResult r;
  r.episode = t.episode.id;
  r.category = t.episode.category;
  r.stopped = tr.stopped, r.not_found = tr.not_found;
  r.steps = int(tr.actions.size());
  r.collisions = tr.collisions;
  r.geodesic = t.episode.geodesic;
  r.path_length = tr.path_length;
  r.dtg = distance_at(t.apartment->grid, t.goal->field, end.x, end.y);
  // The agent's disc may stand where the planning grid's wider one does not fit; then the
  // straight line to the nearest view point stands in.
  if (r.dtg == double(kUnreachable)) r.dtg = nearest_view_point(t, end.x, end.y);
  const RenderResult view = render(w, camera_pose(s, end), view_options(s));
  const int target = int(std::count(view.labels.data.begin(), view.labels.data.end(), uint8_t(t.episode.category)));
  r.coverage = double(target) / double(view.labels.data.size());
  const bool claims_found = r.stopped && !r.not_found;
  r.success = claims_found && r.coverage > 0.40;
  if (claims_found) {
    std::vector<int> near;
    for (int inst : t.goal->instances)
      if (distance_to_rect(w.instances[size_t(inst)].footprint, end.x, end.y) <= s.success_distance)
        near.push_back(inst);
    r.success_habitat = !near.empty() && any_in_view(w, s, end, near);
  }
  r.spl = spl(r.success_habitat, r.geodesic, r.path_length);
  r.softspl = soft_spl(r.dtg, r.geodesic, r.path_length);
  return r;
}

Interval proportion_interval(int successes, int n) {
  Interval i;
  if (n <= 0) return i;
  const ulr::Interval w = wilson_interval(successes, n);
  i.mean = double(successes) / n, i.lo = w.lo, i.hi = w.hi;
  return i;
}

Interval mean_interval(const std::vector<double>& values, double lowest) {
  Interval i;
  const size_t n = values.size();
  if (n == 0) return i;
  double sum = 0;
  for (double v : values) sum += v;
  i.mean = sum / double(n);
  double squares = 0;
  for (double v : values) squares += (v - i.mean) * (v - i.mean);
  const double half = n > 1 ? kZ95 * std::sqrt(squares / double(n - 1) / double(n)) : 0.0;
  i.lo = std::max(lowest, i.mean - half), i.hi = i.mean + half;
  return i;
}

Summary summarize(const std::vector<EpisodeResult>& results) {
  Summary s;
  s.episodes = int(results.size());
  int success = 0, habitat = 0, not_found = 0;
  std::vector<double> spls, softs, dtgs;
  for (const EpisodeResult& r : results) {
    success += r.success, habitat += r.success_habitat, not_found += r.not_found;
    spls.push_back(r.spl), softs.push_back(r.softspl), dtgs.push_back(r.dtg);
    s.steps += r.steps, s.collisions += r.collisions;
  }
  s.success = proportion_interval(success, s.episodes);
  s.success_habitat = proportion_interval(habitat, s.episodes);
  s.spl = mean_interval(spls, 0), s.softspl = mean_interval(softs, 0), s.dtg = mean_interval(dtgs, 0);
  if (s.episodes > 0) {
    s.steps /= s.episodes, s.collisions /= s.episodes;
    s.not_found = double(not_found) / s.episodes;
  }
  return s;
}

std::vector<std::pair<int, Summary>> summarize_by_category(const std::vector<EpisodeResult>& results) {
  std::vector<std::pair<int, Summary>> out;
  for (int c : goal_categories()) {
    std::vector<EpisodeResult> of;
    for (const EpisodeResult& r : results)
      if (r.category == c) of.push_back(r);
    if (!of.empty()) out.push_back({c, summarize(of)});
  }
  return out;
}

Json summary_to_json(const Summary& s) {
  Json j = Json::object();
  j.set("episodes", s.episodes);
  j.set("success", s.success.mean).set("success_ci", interval_json(s.success));
  j.set("success_habitat", s.success_habitat.mean).set("success_habitat_ci", interval_json(s.success_habitat));
  j.set("spl", s.spl.mean).set("spl_ci", interval_json(s.spl));
  j.set("softspl", s.softspl.mean).set("softspl_ci", interval_json(s.softspl));
  j.set("dtg", s.dtg.mean).set("dtg_ci", interval_json(s.dtg));
  j.set("steps", s.steps).set("collisions", s.collisions).set("not_found", s.not_found);
  return j;
}

Json result_to_json(const EpisodeResult& r) {
  Json j = Json::object();
  j.set("episode", r.episode).set("category", class_name(r.category));
  j.set("stopped", r.stopped).set("not_found", r.not_found);
  j.set("success", r.success).set("success_habitat", r.success_habitat).set("coverage", r.coverage);
  j.set("geodesic", r.geodesic).set("path_length", r.path_length).set("dtg", r.dtg);
  j.set("spl", r.spl).set("softspl", r.softspl).set("steps", r.steps).set("collisions", r.collisions);
  return j;
}

}  // namespace ulr::nav
