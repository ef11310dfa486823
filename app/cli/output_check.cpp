#include "app/cli/output_check.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

namespace ebm::cli {

namespace {

namespace fs = std::filesystem;

// Creates and removes a uniquely named file in `dir`; "" when that worked, else the OS's reason.
std::string probe(const fs::path& dir) {
  const fs::path p = dir / (".ebm_write_check." + std::to_string(::getpid()));
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  ::unlink(p.c_str());
  return "";
}

}  // namespace

void check_output_dir(const std::string& dir, const std::string& flag) {
  const fs::path d = dir.empty() ? fs::path(".") : fs::path(dir);
  std::error_code ec;
  if (fs::exists(d, ec) && !fs::is_directory(d, ec))
    throw std::runtime_error(flag + " " + dir + ": exists and is not a directory; choose another path");
  fs::create_directories(d, ec);
  if (ec)
    throw std::runtime_error(flag + " " + dir + ": cannot create the directory (" + ec.message() +
                             "); choose a path you can write to");
  if (const std::string why = probe(d); !why.empty())
    throw std::runtime_error(flag + " " + dir + ": cannot write there (" + why + "); choose a path you can write to");
}

void check_output_file(const std::string& path, const std::string& flag) {
  const fs::path p(path);
  std::error_code ec;
  if (p.empty() || p.filename().empty()) throw std::runtime_error(flag + ": give a file name, not '" + path + "'");
  if (fs::is_directory(p, ec)) throw std::runtime_error(flag + " " + path + ": is a directory; give a file name");
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec))
    throw std::runtime_error(flag + " " + path + ": the directory " + dir.string() +
                             " does not exist; create it first or choose another path");
  if (const std::string why = probe(dir); !why.empty())
    throw std::runtime_error(flag + " " + path + ": cannot write in " + dir.string() + " (" + why +
                             "); choose a path you can write to");
}

}  // namespace ebm::cli
