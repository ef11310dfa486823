#include "app/studio/app_paths.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace ebm::studio {

namespace fs = std::filesystem;

AppPaths AppPaths::resolve(const char* xdg, const char* home) {
  AppPaths p;
  if (xdg != nullptr && xdg[0] == '/') {
    p.config_dir = fs::path(xdg) / "ebm-studio";
  } else if (home != nullptr && home[0] != '\0') {
    p.config_dir = fs::path(home) / ".config" / "ebm-studio";
  } else {
    throw std::runtime_error(
        "cannot find a configuration directory: neither XDG_CONFIG_HOME (absolute) nor HOME is set. "
        "Set XDG_CONFIG_HOME=/some/dir to choose where ebm-studio keeps its settings.");
  }
  return p;
}

AppPaths AppPaths::from_env() { return resolve(std::getenv("XDG_CONFIG_HOME"), std::getenv("HOME")); }

bool AppPaths::ensure(std::string& error) const {
  std::error_code ec;
  fs::create_directories(presets_dir(), ec);
  if (ec) {
    error = "cannot create the settings directory " + presets_dir().string() + ": " + ec.message() +
            " (settings and presets will not be saved; check permissions or set XDG_CONFIG_HOME)";
    return false;
  }
  return true;
}

void RecentFiles::add(const std::string& path) {
  remove(path);
  items_.insert(items_.begin(), path);
  if (items_.size() > kMax) items_.resize(kMax);
}

void RecentFiles::remove(const std::string& path) {
  items_.erase(std::remove(items_.begin(), items_.end(), path), items_.end());
}

void RecentFiles::load(const fs::path& file) {
  items_.clear();
  std::error_code ec;
  if (!fs::exists(file, ec)) return;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(file.string()));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("recent-files list " + file.string() + " is not valid JSON (" + e.what() +
                             "); starting with an empty list");
  }
  if (!j.is_array()) throw std::runtime_error("recent-files list " + file.string() + " is not a JSON array; starting empty");
  for (const auto& e : j)
    if (e.is_string() && items_.size() < kMax) items_.push_back(e.get<std::string>());
}

void RecentFiles::save(const fs::path& file) const { write_file_atomic(file.string(), nlohmann::json(items_).dump(2) + "\n"); }

}  // namespace ebm::studio
