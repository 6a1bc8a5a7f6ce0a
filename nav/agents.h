// The agents, and running one over many episodes.
//
//   oracle    the modular policy (nav/policy.h) on the true labels of the view, at the models'
//             output size: what a perfect segmentation buys
//   model     the modular policy on a ULRNet's prediction: from the sensor's frame (joint,
//             fjl1, mmt1), or from the HR view itself (hr, the upper bound)
//   random    each step one of the four actions, uniformly (habitat-lab's random agent)
//   shortest  walks the geodesic shortest path to the nearest view point in straight pieces of
//             at most forward_step (its heading set along each piece), turns to face the goal
//             and stops: SPL 1 by construction, a check of the metrics
//
// All episodes of one agent run in lockstep: each step renders every running episode's view
// (in parallel, one view per chunk) and passes the frames through the network in batches, so
// an agent costs one network batch per step. Batches hold at least kMinBatch frames (padded with
// copies), because the kernels take another path for one or two: an episode's trajectory then
// does not depend on which other episodes are still running.
#pragma once
#include <string>
#include <vector>

#include "models/ulrnet.h"
#include "nav/metrics.h"
#include "nav/policy.h"

namespace ulr::nav {

enum class AgentKind { Oracle, Model, Random, Shortest };

struct Agent {
  std::string label;            // "oracle", "joint", ...
  AgentKind kind = AgentKind::Oracle;
  const ULRNet* net = nullptr;  // for Model
  bool sees_frames() const { return kind == AgentKind::Oracle || kind == AgentKind::Model; }
};

// Throws Error("<label>: ...") unless `net` takes what the environment gives: frames of
// settings.frame square (the HR view for method hr) segmented at settings.view square.
void check_model_fits(const ULRNet& net, const NavSettings& settings, const std::string& label);

struct RunOptions {
  NavSettings nav;
  PolicySettings policy;
  uint64_t seed = 1;          // the random agent's draws
  int batch = 32;             // the most frames per network call
  int record_episode = -1;    // index into the tasks whose steps to keep for a strip
};

// One step of the recorded episode: what the agent saw and did.
struct RecordedStep {
  Tensor frame;                 // (3,h,w) the frame the agent got (the HR view for hr and oracle)
  std::vector<uint8_t> labels;  // (view, view) the segmentation its policy used
  Action action = Action::Stop;
};

struct AgentRun {
  std::vector<Trajectory> trajectories;  // one per task
  std::vector<EpisodeResult> results;
  std::vector<RecordedStep> recorded;
  int64_t frames = 0;                    // views rendered for the agent
  double seconds = 0;
};

constexpr int kMinBatch = 4;

// Runs `agent` on every task and scores each episode. Deterministic: the same tasks and options
// give the same trajectories for any thread count.
AgentRun run_agent(const Agent& agent, const std::vector<NavTask>& tasks, const RunOptions& options);

}  // namespace ulr::nav
