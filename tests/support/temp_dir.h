// A scratch directory for one test: made under the system's temp dir with the test binary's pid in
// its name (parallel ctest jobs do not collide), with a models/ folder, removed with everything in it
// when the test ends. f("x.png") is the path of a file in it, str() its own path.
#pragma once

#include <filesystem>
#include <string>
#include <unistd.h>

namespace ebm::test {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix)
      : path(std::filesystem::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path / "models");
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string f(const std::string& name) const { return (path / name).string(); }
  std::string str() const { return path.string(); }
};

}  // namespace ebm::test
