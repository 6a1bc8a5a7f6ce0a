#include "apps/args.h"
#include "apps/commands.h"
#include "engine/error.h"
namespace ulr::cli {
int cmd_data(int argc, char** argv) { throw Error("data: not built yet"); }
}
