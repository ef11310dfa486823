#include "fuzz/scratch.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ebm::fuzz {

namespace fs = std::filesystem;

namespace {

void remove_scratch() {
  std::error_code ec;
  fs::remove_all(scratch_dir(), ec);
}

std::string make_scratch() {
  std::error_code ec;
  const fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
  std::string tmpl = (base / "ebm-fuzz-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) {
    std::perror("ebm fuzz: mkdtemp");
    std::abort();
  }
  return tmpl;
}

}  // namespace

const std::string& scratch_dir() {
  static const std::string dir = [] {
    std::string d = make_scratch();
    return d;
  }();
  static const bool registered = (std::atexit(remove_scratch), true);
  (void)registered;
  return dir;
}

std::string write_scratch(const std::string& name, std::string_view bytes) {
  const std::string path = scratch_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "ebm fuzz: cannot write scratch file %s\n", path.c_str());
    std::abort();
  }
  return path;
}

}  // namespace ebm::fuzz
