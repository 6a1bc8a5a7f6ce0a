// The layering of docs/ARCHITECTURE.md, checked on the sources: a folder includes headers of its
// own layer or of layers below it, never above (apps -> privacy -> train | infer | nav -> eval ->
// models -> data -> ops -> engine; train, infer and nav do not use each other, and privacy,
// which trains its attacks with train/'s optimizers, never uses infer).
#include <doctest/doctest.h>

#include <dirent.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

const std::map<std::string, int> kLayer = {{"engine", 0}, {"ops", 1},   {"data", 2},
                                           {"models", 3}, {"eval", 4},  {"train", 5},
                                           {"infer", 5},  {"nav", 5},    {"privacy", 6}, {"apps", 7}};

std::vector<std::string> sources(const std::string& dir) {
  std::vector<std::string> files;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 2 && (name.rfind(".h") == name.size() - 2 ||
                              (name.size() > 4 && name.rfind(".cpp") == name.size() - 4)))
        files.push_back(dir + "/" + name);
    }
    ::closedir(d);
  }
  return files;
}

// The folder of every `#include "folder/..."` in a file.
std::vector<std::string> included_folders(const std::string& path) {
  std::vector<std::string> folders;
  std::ifstream in(path);
  std::string line;
  const std::string prefix = "#include \"";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    const size_t slash = line.find('/', prefix.size());
    if (slash != std::string::npos) folders.push_back(line.substr(prefix.size(), slash - prefix.size()));
  }
  return folders;
}

}  // namespace

TEST_CASE("every include points down the layers (or to the public header, from infer and apps)") {
  int files = 0;
  for (const auto& [folder, layer] : kLayer) {
    for (const std::string& file : sources(std::string(ULRSEG_SOURCE_DIR) + "/" + folder)) {
      ++files;
      for (const std::string& used : included_folders(file)) {
        INFO(file << " includes " << used << "/");
        if (used == "ulrseg") {
          CHECK((folder == "infer" || folder == "apps"));
          continue;
        }
        auto it = kLayer.find(used);
        REQUIRE(it != kLayer.end());
        CHECK(it->second <= layer);
        if (it->second == layer) CHECK(used == folder);  // train and infer stay apart
        if (folder == "privacy") CHECK(used != "infer");
      }
    }
  }
  CHECK(files > 80);
}
