#include "apps/args.h"
#include "apps/commands.h"
#include "engine/error.h"
namespace ulr::cli {
int cmd_inspect(int argc, char** argv) { throw Error("inspect: not built yet"); }
}
