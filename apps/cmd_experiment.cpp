// `ulrseg experiment`: runs a plan of trainings (configs/paper.json is the paper's table) and
// writes its results; see train/runner.h.
#include <cstdio>

#include "apps/args.h"
#include "apps/commands.h"
#include "engine/error.h"
#include "engine/parallel.h"
#include "train/experiment_report.h"
#include "train/runner.h"

namespace ulr::cli {

static const char* kExperimentHelp =
    "usage: ulrseg experiment --plan FILE --out DIR [--jobs N] [--threads N] [--status] [--no-train]\n\n"
    "Trains every run of the plan that is not finished (resuming interrupted ones), evaluates each on\n"
    "the same validation and test views, and writes DIR/results.json, DIR/results.md and the charts\n"
    "DIR/miou-methods.svg and DIR/miou-sizes.svg. Runs live in DIR/runs/<id>/. Ctrl-C or kill at any\n"
    "moment: the same command continues where the runs' checkpoints stand.\n"
    "  --jobs N     trainings side by side (default 1); each gets threads / N threads\n"
    "  --threads N  threads in all (default: the machine's)\n"
    "  --status     print each run's state and write nothing\n"
    "  --no-train   evaluate and report the finished runs, train nothing\n"
    "  --stop-after N  stop each training after N steps of this call (checkpointed)\n";

int cmd_experiment(int argc, char** argv) {
  Args args(argc, argv, {"--status", "--no-train"});
  if (args.help()) {
    std::fputs(kExperimentHelp, stdout);
    return 0;
  }
  apply_threads(args);
  ExperimentOptions opt;
  const std::string plan_path = args.required("--plan");
  opt.out_dir = args.required("--out");
  opt.jobs = int(args.integer("--jobs", 1, 1, 64));
  opt.threads = num_threads();
  opt.train = !args.has("--no-train");
  opt.stop_after = args.integer("--stop-after", -1, 1, 1LL << 40);
  const bool status = args.has("--status");
  args.finish();
  opt.command = "ulrseg experiment --plan " + plan_path + " --out " + opt.out_dir;

  const Plan plan = Plan::read(plan_path);
  if (status) {
    const ExperimentResult r = survey(plan, opt.out_dir);
    for (const RunOutcome& o : r.runs)
      std::printf("%-28s %-8s %6lld/%-6lld%s\n", o.run.id.c_str(), run_state_name(o.state), (long long)o.step,
                  (long long)o.total, o.test.done() ? "  evaluated" : "");
    return 0;
  }
  const ExperimentResult r = run_experiment(plan, opt);
  write_experiment_report(plan, r, opt.out_dir);
  int failed = 0;
  for (const RunOutcome& o : r.runs) failed += !o.error.empty();
  std::fprintf(stderr, "experiment: %s written (%s)\n", (opt.out_dir + "/results.md").c_str(),
               r.complete() ? "complete" : r.interrupted ? "interrupted; the same command continues" : "partial");
  if (r.interrupted) return 130;
  return failed ? 1 : 0;
}

}  // namespace ulr::cli
