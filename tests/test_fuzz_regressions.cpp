// The fuzzers' kept inputs run through the same target functions as the fuzzers
// (tests/fuzz/targets.h), here built with the normal compiler: tests/fuzz/corpus/NAME (the seeds)
// and tests/fuzz/regressions/NAME (inputs that once gave a finding, minimised). No input may
// escape a target; bad input rejected with an Error is handled inside it. tests/fuzz/pending/
// keeps the inputs of findings not fixed yet and is not read here.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "engine/fileio.h"
#include "fuzz/targets.h"

using namespace ulr;
namespace fs = std::filesystem;

namespace {

const fs::path kFuzzDir = fs::path(ULRSEG_SOURCE_DIR) / "tests" / "fuzz";

// The files of one folder, sorted; none when the folder does not exist.
std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::is_directory(dir)) return out;
  for (const fs::directory_entry& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// The names of the folders in tests/fuzz/KIND.
std::set<std::string> folders_in(const char* kind) {
  std::set<std::string> out;
  if (!fs::is_directory(kFuzzDir / kind)) return out;
  for (const fs::directory_entry& e : fs::directory_iterator(kFuzzDir / kind))
    if (e.is_directory()) out.insert(e.path().filename().string());
  return out;
}

}  // namespace

TEST_CASE("every fuzz target has a seed corpus, and every fuzz folder names a target") {
  std::set<std::string> names;
  for (const fuzz::Target& t : fuzz::targets()) {
    names.insert(t.name);
    CHECK_MESSAGE(!files_in(kFuzzDir / "corpus" / t.name).empty(), t.name, " has no seeds");
  }
  CHECK(folders_in("corpus") == names);
  for (const char* kind : {"regressions", "pending"})
    for (const std::string& folder : folders_in(kind))
      CHECK_MESSAGE(names.count(folder), "tests/fuzz/", kind, "/", folder, " names no target");
}

TEST_CASE("seeds and regression inputs run through their targets without a finding") {
  int inputs = 0;
  for (const fuzz::Target& t : fuzz::targets())
    for (const char* kind : {"corpus", "regressions"})
      for (const std::string& path : files_in(kFuzzDir / kind / t.name)) {
        const std::vector<unsigned char> bytes = read_file(path);
        INFO(path);
        CHECK_NOTHROW(t.run(bytes.data(), bytes.size()));
        ++inputs;
      }
  CHECK(inputs >= int(fuzz::targets().size()));
}

TEST_CASE("the image and weights seeds are accepted, so the fuzzers start past the checks") {
  for (const std::string& path : files_in(kFuzzDir / "corpus" / "image")) {
    INFO(path);
    CHECK_NOTHROW(read_image(path));
  }
  // joint and mmt1 are whole tiny models. metadata_only holds a model config and no tensors, so
  // that mutations reach the config quickly: it fails at the first tensor, not before.
  const fs::path weights = kFuzzDir / "corpus" / "weights";
  CHECK_NOTHROW(ULRNet::load((weights / "joint.safetensors").string()));
  CHECK_NOTHROW(ULRNet::load((weights / "mmt1.safetensors").string()));
  CHECK_THROWS_WITH(ULRNet::load((weights / "metadata_only.safetensors").string()),
                    doctest::Contains("tensor \"g.stem.weight\" is absent"));
}
