// Where the studio keeps its files: $XDG_CONFIG_HOME/ebm-studio (fallback ~/.config/ebm-studio) for
// imgui.ini, presets/ and recent.json. Pure logic; its files are written through the project's one
// atomic writer (models/checkpoint/atomic_file.h: temporary file, fsync, rename).
#pragma once

#include "models/checkpoint/atomic_file.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ebm::studio {

struct AppPaths {
  std::filesystem::path config_dir;  // …/ebm-studio
  std::filesystem::path imgui_ini() const { return config_dir / "imgui.ini"; }
  std::filesystem::path presets_dir() const { return config_dir / "presets"; }
  std::filesystem::path recent_file() const { return config_dir / "recent.json"; }

  // From the environment: XDG_CONFIG_HOME when it is set to an absolute path (the XDG spec says to
  // ignore relative ones), else $HOME/.config. Throws std::runtime_error when neither is usable.
  static AppPaths from_env();
  static AppPaths resolve(const char* xdg_config_home, const char* home);
  // Creates config_dir and presets/; returns false (and an explanation in `error`) when it cannot.
  bool ensure(std::string& error) const;
};

// Most-recently-used list of files (presets and models), newest first, without duplicates.
class RecentFiles {
 public:
  static constexpr size_t kMax = 12;
  void add(const std::string& path);  // moves an existing entry to the front
  void remove(const std::string& path);
  const std::vector<std::string>& items() const { return items_; }
  // JSON array of strings. `load` ignores a missing file and throws std::runtime_error on a corrupt one
  // (the caller shows it and starts with an empty list).
  void load(const std::filesystem::path& file);
  void save(const std::filesystem::path& file) const;

 private:
  std::vector<std::string> items_;
};

}  // namespace ebm::studio
