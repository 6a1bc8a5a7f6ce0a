// A fresh folder under /tmp for one test, removed with everything in it when the test ends.
#pragma once
#include <cstdlib>
#include <string>

#include <stdlib.h>

namespace ulr::test {

struct TempDir {
  std::string path;
  explicit TempDir(const std::string& name = "ulrseg_test") {
    std::string tmpl = "/tmp/" + name + "_XXXXXX";
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace ulr::test
