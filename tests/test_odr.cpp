// The One Definition Rule across ops/: what one file keeps to itself (types, helpers) lives in an
// anonymous namespace, so two files may each have, say, a `Window` of their own. Two different
// definitions of one name with external linkage are undefined behaviour that no ordinary build
// reports; GCC's link-time optimiser compares the types of every translation unit it links
// (-Wodr). This test compiles ops/*.cpp for it, with the include paths and definitions of this
// build (build/compile_commands.json), and links them.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/json.h"

using namespace ulr;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// command without the tokens of `flag` (e.g. " -O3"), matched with the space before it.
std::string without(std::string command, const std::string& flag) {
  for (size_t at; (at = command.find(flag + " ")) != std::string::npos;) command.erase(at, flag.size());
  return command;
}

std::string quoted(const std::string& path) { return "'" + path + "'"; }

}  // namespace

TEST_CASE("no two ops/ files give one name two definitions (GCC -flto -Wodr)") {
#if !defined(__GNUC__) || defined(__clang__)
  MESSAGE("this check needs GCC's link-time -Wodr; skipped with this compiler");
  return;
#endif
  const std::string build = std::string(ULRSEG_CLI).substr(0, std::string(ULRSEG_CLI).rfind('/'));
  const std::string ops = std::string(ULRSEG_SOURCE_DIR) + "/ops/";
  const Json commands = Json::parse(read_text(build + "/compile_commands.json"), "compile_commands.json");
  char dir_template[] = "/tmp/ulrseg_odr_XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  std::vector<std::string> objects;
  for (const Json& entry : commands.items()) {
    const std::string& file = entry.at("file").as_string();
    if (file.rfind(ops, 0) != 0) continue;
    // The build's compiler, definitions and include paths; no optimisation (-O0 needs the
    // default target: xsimd's AVX-512 code wants -O1 or more), LTO bytecode only.
    std::string command = entry.at("command").as_string();
    command = without(without(command.substr(0, command.find(" -o ")), " -O3"), " -march=native");
    const std::string object = dir + "/" + std::to_string(objects.size()) + ".o";
    const std::string compile = command + " -O0 -w -flto -fno-fat-lto-objects -c " + quoted(file) +
                                " -o " + quoted(object) + " 2>" + quoted(dir + "/compile.txt");
    INFO("compiling " << file << ": " << read_text(dir + "/compile.txt"));
    REQUIRE(std::system(compile.c_str()) == 0);
    objects.push_back(object);
  }
  REQUIRE(objects.size() >= 2);
  const std::string compiler = commands.items()[0].at("command").as_string();
  std::string link = compiler.substr(0, compiler.find(' ')) + " -flto -O0 -r -nostdlib -Wodr -o " +
                     quoted(dir + "/all.o");
  for (const std::string& object : objects) link += " " + quoted(object);
  link += " 2>" + quoted(dir + "/link.txt");
  const int status = std::system(link.c_str());
  const std::string report = read_text(dir + "/link.txt");
  (void)std::system(("rm -rf " + quoted(dir)).c_str());
  INFO("link of " << objects.size() << " ops/ files:\n" << report);
  CHECK(status == 0);
  CHECK(report.find("One Definition Rule") == std::string::npos);
}
