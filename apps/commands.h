// Subcommands of the `ulrseg` program. Each takes its own argv (argv[0] = command name) and
// returns the exit status; errors are thrown as ulr::Error (exit 1) or ulr::UsageError (exit 2).
#pragma once

namespace ulr::cli {

int cmd_inspect(int argc, char** argv);  // apps/cmd_inspect.cpp
int cmd_data(int argc, char** argv);     // apps/cmd_data.cpp (preview, stats; dispatches gen, import)
int cmd_data_gen(int argc, char** argv); // apps/cmd_data_gen.cpp (`ulrseg data gen`)
int cmd_data_import(int argc, char** argv);  // apps/cmd_data_import.cpp (`ulrseg data import`)
int cmd_train(int argc, char** argv);    // apps/cmd_train.cpp
int cmd_eval(int argc, char** argv);     // apps/cmd_eval.cpp
int cmd_infer(int argc, char** argv);    // apps/cmd_infer.cpp
int cmd_demo(int argc, char** argv);     // apps/cmd_demo.cpp
int cmd_bench(int argc, char** argv);    // apps/cmd_bench.cpp
int cmd_experiment(int argc, char** argv);  // apps/cmd_experiment.cpp
int cmd_nav(int argc, char** argv);      // apps/cmd_nav.cpp
int cmd_privacy(int argc, char** argv);  // apps/cmd_privacy.cpp (the sweep, faces, export)

}  // namespace ulr::cli
