// `ulrseg nav`: object-goal navigation from 16x16 frames. Generates (or reads) the episodes,
// runs every agent on the same ones, prints success, SPL, SoftSPL and distance to goal per agent
// and per category, and writes the episodes, the per-episode results, top-down maps and one
// episode's strip of frames, predictions and actions.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "apps/args.h"
#include "apps/commands.h"
#include "data/classes.h"
#include "data/sensor.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "infer/visualize.h"
#include "nav/agents.h"
#include "nav/picture.h"

namespace ulr::cli {

namespace {

using namespace ulr::nav;

const char* kNavHelp =
    "usage: ulrseg nav [--agent oracle|random|shortest|WEIGHTS ...] [--episodes N] [--seed K]\n"
    "                  [--episodes-file FILE] [--category NAME ...] [--split test] [--data-seed K]\n"
    "                  [--max-steps N] [--out DIR] [--map ID ...] [--strip-agent LABEL]\n"
    "                  [--weights-dir DIR] [--json | --markdown] [--threads N]\n\n"
    "Object-goal navigation in unseen synthetic apartments (the test split of --data-seed,\n"
    "default 1): an agent of radius 0.18 m with a camera 0.88 m high (HFOV 79 deg) moves 0.25 m or\n"
    "turns 30 deg per step, at most --max-steps (500) steps, and must stop at a sofa, chair,\n"
    "table, picture, bed or tv. Each step renders the 64x64 view; a model agent gets only the\n"
    "sensor's 16x16 frame (the hr model the 64x64 view).\n\n"
    "Agents (default: oracle, DIR/ulrnet-{joint,fjl1,mmt1}-16x16, DIR/ulrnet-hr-64x64, random,\n"
    "shortest; DIR = --weights-dir, default weights): oracle = the modular policy on true labels,\n"
    "WEIGHTS = the policy on that model's prediction, random = uniform actions, shortest = the\n"
    "geodesic shortest path (SPL 1 by construction).\n\n"
    "Episodes: N (default 200) drawn with --seed K (default 1), optionally only --category\n"
    "goals; or --episodes-file FILE (as written to OUT/nav_episodes.json). Prints success (the\n"
    "paper's: the target covers > 40 % of the view at stop; Habitat's: stop within 1 m of a goal\n"
    "instance in view), SPL, SoftSPL and distance to goal with 95 % intervals. Writes to OUT\n"
    "(default out/nav): nav_episodes.json, nav_results.json (per episode and agent, with the\n"
    "actions), nav_map_ID.png for each --map episode (default the first three) and\n"
    "nav_strip_ID_LABEL.png (frame | prediction | action per step) of the first map episode for\n"
    "--strip-agent (default the first model). Time and episodes/s go to stderr.\n";

struct NavOptions {
  std::vector<std::string> agents;
  std::string weights_dir, episodes_file, out, strip_agent;
  int64_t count = 0, seed = 0, data_seed = 0, max_steps = 0;
  bool count_given = false;
  Split split = Split::Test;
  std::vector<int> categories, maps;
  Format format = Format::Text;
};

NavOptions read_nav_options(Args& args) {
  NavOptions o;
  apply_threads(args);
  o.agents = args.all("--agent");
  o.weights_dir = args.str("--weights-dir", "weights");
  o.count_given = args.has("--episodes");
  o.count = args.integer("--episodes", 200, 1, 100000);
  o.seed = args.integer("--seed", 1, 0, int64_t(1) << 53);
  o.data_seed = args.integer("--data-seed", 1, 0, int64_t(1) << 53);
  o.split = read_split(args, "test");
  o.episodes_file = args.str("--episodes-file", "");
  for (const std::string& name : args.all("--category")) {
    try {
      o.categories.push_back(parse_goal_category(name, "--category"));
    } catch (const Error& e) {
      throw UsageError(e.what());
    }
  }
  o.max_steps = args.integer("--max-steps", 500, 1, 5000);
  o.out = args.str("--out", "out/nav");
  for (const std::string& id : args.all("--map")) {
    char* end = nullptr;
    const long v = std::strtol(id.c_str(), &end, 10);
    if (id.empty() || *end != '\0' || v < 0 || v > 1000000) throw UsageError("--map: expected an episode id, got '" + id + "'");
    o.maps.push_back(int(v));
  }
  o.strip_agent = args.str("--strip-agent", "");
  o.format = read_format(args);
  args.finish();
  if (!o.episodes_file.empty() && (o.count_given || !o.categories.empty()))
    throw UsageError("--episodes-file: the file fixes the episodes; drop --episodes and --category");
  return o;
}

struct LoadedAgent {
  Agent agent;
  std::string source;  // the weights file, or the built-in agent's name
  std::unique_ptr<ULRNet> net;
};

std::string file_stem(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.rfind(".safetensors");
  return dot == std::string::npos ? name : name.substr(0, dot);
}

std::vector<LoadedAgent> load_agents(const NavOptions& o, const NavSettings& settings) {
  std::vector<std::string> names = o.agents;
  if (names.empty()) {
    names.push_back("oracle");
    for (const char* file : {"ulrnet-joint-16x16", "ulrnet-fjl1-16x16", "ulrnet-mmt1-16x16", "ulrnet-hr-64x64"}) {
      const std::string path = o.weights_dir + "/" + file + ".safetensors";
      if (file_exists(path)) names.push_back(path);
      else std::fprintf(stderr, "note: %s is missing; running without that model\n", path.c_str());
    }
    names.push_back("random");
    names.push_back("shortest");
  }
  std::vector<LoadedAgent> agents;
  for (const std::string& name : names) {
    LoadedAgent a;
    a.source = name;
    if (name == "oracle" || name == "random" || name == "shortest") {
      a.agent.label = name;
      a.agent.kind = name == "oracle" ? AgentKind::Oracle : name == "random" ? AgentKind::Random : AgentKind::Shortest;
    } else {
      if (!file_exists(name)) throw UsageError("--agent: '" + name + "' is neither oracle, random, shortest nor a weights file");
      a.net = ULRNet::load(name);
      check_model_fits(*a.net, settings, name);
      a.agent.label = method_name(a.net->method());
      a.agent.kind = AgentKind::Model;
      a.agent.net = a.net.get();
    }
    for (const LoadedAgent& other : agents)
      if (other.agent.label == a.agent.label) a.agent.label = file_stem(name);
    for (const LoadedAgent& other : agents)
      if (other.agent.label == a.agent.label) throw UsageError("--agent: '" + name + "' is given twice");
    agents.push_back(std::move(a));
  }
  return agents;
}

struct AgentReport {
  std::string label, source;
  Summary all;
  std::vector<std::pair<int, Summary>> by_category;
  double seconds = 0;
};

struct NavReport {
  EpisodeSet set;
  int64_t apartments = 0;
  std::string episodes_path, results_path, strip;
  std::vector<std::string> maps;
  std::vector<AgentReport> agents;
  double seconds = 0;
};

// --strip-agent, else the first model, else the oracle; "" when no agent sees frames.
std::string choose_strip_agent(const std::vector<LoadedAgent>& agents, const std::string& wanted) {
  for (AgentKind kind : {AgentKind::Model, AgentKind::Oracle})
    for (const LoadedAgent& a : agents) {
      const bool pick = wanted.empty() ? a.agent.kind == kind : a.agent.label == wanted && a.agent.sees_frames();
      if (pick) return a.agent.label;
    }
  if (!wanted.empty()) throw UsageError("--strip-agent: no agent that sees frames is labelled '" + wanted + "'");
  return "";
}

int64_t count_apartments(const EpisodeSet& set) {
  std::vector<uint64_t> seeds;
  for (const Episode& e : set.episodes)
    if (std::find(seeds.begin(), seeds.end(), e.world_seed) == seeds.end()) seeds.push_back(e.world_seed);
  return int64_t(seeds.size());
}

// Frame | prediction | action per step, 8 steps a row; at most 96 steps (the first 80 and the
// last 16 of a longer episode).
Image episode_strip(const std::vector<RecordedStep>& steps, int view) {
  std::vector<size_t> shown;
  for (size_t i = 0; i < steps.size(); ++i)
    if (steps.size() <= 96 || i < 80 || i + 16 >= steps.size()) shown.push_back(i);
  std::vector<std::vector<Image>> rows;
  for (size_t k = 0; k < shown.size(); ++k) {
    if (k % 8 == 0) rows.emplace_back();
    const RecordedStep& s = steps[shown[k]];
    rows.back().push_back(tensor_to_image(s.frame));
    rows.back().push_back(colorize_labels(s.labels.data(), view, view));
    rows.back().push_back(action_icon(s.action));
  }
  while (rows.size() > 1 && rows.back().size() < rows.front().size()) {  // rows as long as the first
    rows.back().push_back(Image(16, 16, 3));
    std::fill(rows.back().back().px.begin(), rows.back().back().px.end(), uint8_t(255));
  }
  return mosaic(rows, 48);
}

Json trajectory_json(const EpisodeResult& r, const Trajectory& t) {
  Json j = result_to_json(r);
  std::string actions;
  for (Action a : t.actions) actions += action_letter(a);
  j.set("actions", actions);
  return j;
}

// The index of the task of episode `id`; UsageError naming --map when there is none.
int task_index(const std::vector<NavTask>& tasks, int id) {
  for (size_t i = 0; i < tasks.size(); ++i)
    if (tasks[i].episode.id == id) return int(i);
  throw UsageError("--map: no episode has id " + std::to_string(id));
}

// Per agent, each episode's metrics and actions.
void write_results(const std::string& path, const std::string& episodes_path, const std::vector<LoadedAgent>& agents,
                   const std::vector<AgentRun>& runs) {
  Json results = Json::object(), per_agent = Json::object();
  for (size_t k = 0; k < agents.size(); ++k) {
    Json list = Json::array();
    for (size_t i = 0; i < runs[k].results.size(); ++i)
      list.push(trajectory_json(runs[k].results[i], runs[k].trajectories[i]));
    per_agent.set(agents[k].agent.label, list);
  }
  results.set("episodes_file", episodes_path).set("agents", per_agent);
  const std::string text = results.dump(1) + "\n";
  write_file_atomic(path, text.data(), text.size());
}

// The map of task `index` with every agent's path in its colour.
Image episode_map(const std::vector<NavTask>& tasks, int index, const std::vector<AgentRun>& runs) {
  std::vector<MapPath> paths(runs.size());
  for (size_t k = 0; k < runs.size(); ++k) {
    paths[k].trajectory = &runs[k].trajectories[size_t(index)];
    agent_colour(int(k), paths[k].rgb);
  }
  return draw_episode_map(tasks[size_t(index)], paths);
}

NavReport run_nav(const NavOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  NavReport report;
  RunOptions run;
  run.nav.max_steps = int(o.max_steps);
  run.seed = uint64_t(o.seed);
  std::vector<LoadedAgent> agents = load_agents(o, run.nav);
  ApartmentCache cache(run.nav);
  if (o.episodes_file.empty()) {
    EpisodeSpec spec;
    spec.count = int(o.count), spec.seed = uint64_t(o.seed), spec.data_seed = uint64_t(o.data_seed);
    spec.split = o.split, spec.categories = o.categories;
    report.set = generate_episodes(spec, cache);
  } else {
    report.set = read_episodes(o.episodes_file);
  }
  if (report.set.split == Split::Train)
    std::fprintf(stderr, "note: train-split apartments are the ones the models were trained in\n");
  const std::vector<NavTask> tasks = make_tasks(report.set, cache, o.episodes_file.empty() ? "episodes" : o.episodes_file);
  report.apartments = count_apartments(report.set);
  std::vector<int> maps = o.maps;
  if (maps.empty())
    for (size_t i = 0; i < std::min<size_t>(3, tasks.size()); ++i) maps.push_back(tasks[i].episode.id);
  for (int id : maps) task_index(tasks, id);
  const std::string strip_agent = choose_strip_agent(agents, o.strip_agent);
  make_dirs(o.out);
  report.episodes_path = o.out + "/nav_episodes.json";
  const std::string episodes_text = episodes_to_json(report.set).dump(1) + "\n";
  write_file_atomic(report.episodes_path, episodes_text.data(), episodes_text.size());
  std::vector<AgentRun> runs;
  for (const LoadedAgent& a : agents) {
    run.record_episode = a.agent.label == strip_agent && !maps.empty() ? task_index(tasks, maps[0]) : -1;
    runs.push_back(run_agent(a.agent, tasks, run));
    const AgentRun& r = runs.back();
    report.agents.push_back({a.agent.label, a.source, summarize(r.results), summarize_by_category(r.results), r.seconds});
    std::fprintf(stderr, "nav: %-8s %zu episodes, %lld views, %.1f s\n", a.agent.label.c_str(), tasks.size(),
                 (long long)r.frames, r.seconds);
    if (!r.recorded.empty()) {
      report.strip = o.out + "/nav_strip_" + std::to_string(maps[0]) + "_" + a.agent.label + ".png";
      write_png(report.strip, episode_strip(r.recorded, run.nav.view));
    }
  }
  report.results_path = o.out + "/nav_results.json";
  write_results(report.results_path, report.episodes_path, agents, runs);
  for (int id : maps) {
    report.maps.push_back(o.out + "/nav_map_" + std::to_string(id) + ".png");
    write_png(report.maps.back(), episode_map(tasks, task_index(tasks, id), runs));
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double agent_episodes = double(tasks.size() * agents.size());
  std::fprintf(stderr, "nav: %zu episodes x %zu agents in %.1f s (%.2f episodes/s)\n", tasks.size(), agents.size(),
               report.seconds, agent_episodes / std::max(report.seconds, 1e-9));
  return report;
}

// ---- printers --------------------------------------------------------------------------------

void print_nav_json(const NavReport& r) {
  Json agents = Json::object();
  for (const AgentReport& a : r.agents) {
    Json j = summary_to_json(a.all);
    Json by = Json::object();
    for (const auto& [category, s] : a.by_category) by.set(class_name(category), summary_to_json(s));
    j.set("per_category", by).set("source", a.source).set("seconds", a.seconds);
    agents.set(a.label, j);
  }
  Json j = Json::object();
  j.set("episodes", int64_t(r.set.episodes.size())).set("apartments", r.apartments);
  j.set("split", split_name(r.set.split)).set("data_seed", int64_t(r.set.data_seed)).set("seed", int64_t(r.set.seed));
  j.set("episodes_file", r.episodes_path).set("results_file", r.results_path);
  Json maps = Json::array();
  for (const std::string& m : r.maps) maps.push(m);
  j.set("maps", maps).set("strip", r.strip).set("agents", agents);
  std::printf("%s\n", j.dump(2).c_str());
}

std::string cell(const Interval& i, const char* format) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, i.mean, i.lo, i.hi);
  return buf;
}

void print_nav_table(const NavReport& r, bool markdown) {
  std::printf("%zu episodes in %lld %s apartments (data seed %llu, episode seed %llu); 95 %% intervals\n\n",
              r.set.episodes.size(), (long long)r.apartments, split_name(r.set.split),
              (unsigned long long)r.set.data_seed, (unsigned long long)r.set.seed);
  const char* p = "%.3f [%.2f, %.2f]";
  const char* d = "%.2f [%.2f, %.2f]";
  if (markdown) {
    std::printf("| agent | success (paper) | success (Habitat) | SPL | SoftSPL | distance to goal (m) | steps | collisions | not found |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|\n");
  } else {
    std::printf("%-9s %-20s %-20s %-20s %-20s %-20s %6s %6s %6s\n", "agent", "success (paper)", "success (Habitat)",
                "SPL", "SoftSPL", "dist. to goal (m)", "steps", "coll.", "n.f.");
  }
  for (const AgentReport& a : r.agents) {
    const Summary& s = a.all;
    if (markdown)
      std::printf("| %s | %s | %s | %s | %s | %s | %.1f | %.1f | %.2f |\n", a.label.c_str(), cell(s.success, p).c_str(),
                  cell(s.success_habitat, p).c_str(), cell(s.spl, p).c_str(), cell(s.softspl, p).c_str(),
                  cell(s.dtg, d).c_str(), s.steps, s.collisions, s.not_found);
    else
      std::printf("%-9s %-20s %-20s %-20s %-20s %-20s %6.1f %6.1f %6.2f\n", a.label.c_str(), cell(s.success, p).c_str(),
                  cell(s.success_habitat, p).c_str(), cell(s.spl, p).c_str(), cell(s.softspl, p).c_str(),
                  cell(s.dtg, d).c_str(), s.steps, s.collisions, s.not_found);
  }
  std::printf("\nper category (episodes): success (paper) / success (Habitat) / SPL\n\n");
  if (r.agents.empty()) return;
  const auto& categories = r.agents[0].by_category;
  std::string head = markdown ? "| agent |" : "agent    ";
  for (const auto& [category, s] : categories) {
    const std::string name = std::string(class_name(category)) + " (" + std::to_string(s.episodes) + ")";
    char buf[64];
    std::snprintf(buf, sizeof buf, markdown ? " %s |" : " %-17s", name.c_str());
    head += buf;
  }
  std::printf("%s\n", head.c_str());
  if (markdown) {
    std::printf("|---|");
    for (size_t i = 0; i < categories.size(); ++i) std::printf("---|");
    std::printf("\n");
  }
  for (const AgentReport& a : r.agents) {
    std::printf(markdown ? "| %s |" : "%-9s", a.label.c_str());
    for (const auto& [category, s] : a.by_category)
      std::printf(markdown ? " %.2f / %.2f / %.2f |" : " %.2f/%.2f/%.2f   ", s.success.mean, s.success_habitat.mean, s.spl.mean);
    std::printf("\n");
  }
  std::printf("\n");
  if (!markdown) {
    for (size_t k = 0; k < r.agents.size(); ++k)
      std::printf("%s %s (%s)\n", k == 0 ? "map paths:" : "          ", r.agents[k].label.c_str(), agent_colour_name(int(k)));
    for (const std::string& m : r.maps) std::printf("map: %s\n", m.c_str());
    if (!r.strip.empty()) std::printf("strip: %s\n", r.strip.c_str());
    std::printf("episodes: %s\nresults: %s\n", r.episodes_path.c_str(), r.results_path.c_str());
  }
}

}  // namespace

int cmd_nav(int argc, char** argv) {
  Args args(argc, argv, {"--json", "--markdown"});
  if (args.help()) {
    std::fputs(kNavHelp, stdout);
    return 0;
  }
  const NavOptions options = read_nav_options(args);
  const NavReport report = run_nav(options);
  if (options.format == Format::Json) print_nav_json(report);
  else print_nav_table(report, options.format == Format::Markdown);
  return 0;
}

}  // namespace ulr::cli
