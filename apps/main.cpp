// `ulrseg <command> ...`: dispatches to the subcommands. Errors become one line on stderr, made
// printable (a message may quote a name read from a file): exit 2 for usage errors, 1 for
// runtime failures.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "apps/commands.h"
#include "apps/mpi.h"
#include "engine/error.h"
#include "engine/printable.h"
#include "engine/tensor.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

const Command kCommands[] = {
    {"inspect", ulr::cli::cmd_inspect, "print a safetensors file's metadata and tensor table"},
    {"demo", ulr::cli::cmd_demo, "render unseen views, segment their 16x16 frames, write a mosaic"},
    {"data", ulr::cli::cmd_data, "datasets: gen (synthetic) | import (SUN RGB-D, NYUv2, ...) | preview | stats | loader"},
    {"train", ulr::cli::cmd_train, "train a model (joint, fjl1, mmt1, hr, pp1, pp2, mmt2) from a config"},
    {"experiment", ulr::cli::cmd_experiment, "train and evaluate a plan of runs; write the results table"},
    {"eval", ulr::cli::cmd_eval, "segmentation metrics of a weights file on a test split"},
    {"infer", ulr::cli::cmd_infer, "segment ULR frames or images; write class, colour and overlay PNGs"},
    {"nav", ulr::cli::cmd_nav, "object-goal navigation from 16x16 frames: agents, episodes, SPL"},
    {"bench", ulr::cli::cmd_bench, "engine speed: sgemm peak, kernels, training step, inference"},
    {"privacy", ulr::cli::cmd_privacy, "identity and reconstruction attacks by resolution and distance"},
};

void print_usage(FILE* out) {
  std::fprintf(out,
               "ulrseg: privacy-preserving semantic segmentation from ultra-low-resolution RGB\n\n"
               "usage: ulrseg <command> [flags]   (ulrseg <command> --help for its flags)\n\n"
               "commands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-9s %s\n", c.name, c.summary);
  std::fprintf(out, "\ncommon flags: --threads N, --seed K, --json\n");
}

}  // namespace

int main(int argc, char** argv) {
  ulr::tune_system_allocator();  // the program owns its process's malloc (engine/tensor.h)
  ulr::cli::MpiSession mpi(&argc, &argv);  // under mpirun: this process is one rank of a training
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    print_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const Command& c : kCommands) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    try {
      return c.run(argc - 1, argv + 1);
    } catch (const ulr::UsageError& e) {
      std::fprintf(stderr, "ulrseg %s: %s\n", c.name, ulr::printable(e.what()).c_str());
      return 2;
    } catch (const std::bad_alloc&) {
      std::fprintf(stderr, "ulrseg %s: out of memory\n", c.name);
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ulrseg %s: %s\n", c.name, ulr::printable(e.what()).c_str());
      return 1;
    }
  }
  std::fprintf(stderr, "ulrseg: unknown command '%s' (see ulrseg --help)\n", argv[1]);
  return 2;
}
