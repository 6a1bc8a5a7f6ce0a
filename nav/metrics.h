// Scoring an episode and summarising many, with habitat-lab's definitions:
//
//   success (paper)    the agent called stop and the target class covers more than 40 % of the
//                      true label map of its final view (at the models' output size)
//   success (Habitat)  the agent called stop within success_distance (1.0 m, floor plan) of a
//                      goal instance's footprint and that instance is in the final view (a
//                      centre ray of one of its pixels hits it first)
//   SPL                S * l / max(p, l), S the Habitat success, l the geodesic distance from
//                      the start to the nearest view point, p the path walked
//   SoftSPL            max(0, 1 - dtg / l) * l / max(p, l)
//   distance to goal   dtg, the geodesic distance from the final pose to the nearest view point
//
// A stop that declares the target not found ends the episode and is never a success, even
// where the agent happens to stand beside a goal. Intervals are 95 %: Wilson's score
// interval for the two success rates, the normal interval of the mean (mean +- 1.96 s / sqrt(n),
// s the sample standard deviation, cut at 0) for SPL, SoftSPL and dtg.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "engine/json.h"
#include "nav/episodes.h"

namespace ulr::nav {

struct EpisodeResult {
  int episode = 0;            // Episode::id
  int category = 0;
  bool stopped = false, not_found = false;
  bool success = false;          // the paper's
  bool success_habitat = false;  // Habitat's
  double coverage = 0;        // the target's share of the final view (true labels)
  double geodesic = 0;        // l
  double path_length = 0;     // p
  double dtg = 0;
  double spl = 0, softspl = 0;
  int steps = 0, collisions = 0;
};

double spl(bool success, double geodesic, double path_length);
double soft_spl(double dtg, double geodesic, double path_length);

// Scores what an agent did in `task`: renders the final view for the coverage, and casts the
// view's rays when a goal instance is within reach.
EpisodeResult score_episode(const NavTask& task, const NavSettings& settings, const Trajectory& trajectory);

struct Interval {
  double mean = 0, lo = 0, hi = 0;
};
Interval proportion_interval(int successes, int n);        // Wilson, 95 %
// mean +- 1.96 s / sqrt(n), the lower end no lower than `lowest` (SPL, SoftSPL and dtg are >= 0).
Interval mean_interval(const std::vector<double>& values, double lowest = -1e300);

struct Summary {
  int episodes = 0;
  Interval success, success_habitat, spl, softspl, dtg;
  double steps = 0, collisions = 0;  // means per episode
  double not_found = 0;              // share of episodes that declared the target not found
};
Summary summarize(const std::vector<EpisodeResult>& results);
// The summary of each goal category present, in goal_categories() order.
std::vector<std::pair<int, Summary>> summarize_by_category(const std::vector<EpisodeResult>& results);

// {"episodes", "success", "success_ci": [lo, hi], "success_habitat", ..., "steps", ...}
Json summary_to_json(const Summary& s);
Json result_to_json(const EpisodeResult& r);

}  // namespace ulr::nav
