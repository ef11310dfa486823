#include "engine/recipe/model_search.h"

#include <cstdlib>

// The source tree's assets/ (engine/CMakeLists.txt): the last place looked, for binaries run from
// the build tree.
#ifndef EBM_ASSETS_DIR
#define EBM_ASSETS_DIR ""
#endif

namespace ebm {

namespace fs = std::filesystem;

namespace {

const char* kind_dir(ShippedKind kind) { return kind == ShippedKind::Models ? "models" : "recipes"; }
const char* kind_env(ShippedKind kind) { return kind == ShippedKind::Models ? "EBM_STUDIO_MODELS" : "EBM_STUDIO_RECIPES"; }

std::string join_dirs(const std::vector<fs::path>& dirs) {
  std::string s;
  for (const auto& d : dirs) s += (s.empty() ? "" : ", ") + d.string();
  return s;
}

}  // namespace

std::vector<fs::path> shipped_search_dirs(ShippedKind kind, const std::string& exe_path, const std::string& source_assets) {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv(kind_env(kind)); env && *env) dirs.emplace_back(env);
  std::error_code ec;
  // canonical: a symlink to the binary (/usr/local/bin/ebm -> /opt/ebm/bin/ebm) finds the tree it points into.
  const fs::path exe = fs::canonical(exe_path.empty() ? std::string("/proc/self/exe") : exe_path, ec);
  if (!ec) dirs.push_back(exe.parent_path().parent_path() / "share" / "ebm-studio" / kind_dir(kind));
  const std::string assets = source_assets.empty() ? std::string(EBM_ASSETS_DIR) : source_assets;
  if (!assets.empty()) dirs.push_back(fs::path(assets) / kind_dir(kind));
  return dirs;
}

fs::path find_shipped_dir(ShippedKind kind, const std::string& exe_path, const std::string& source_assets) {
  std::error_code ec;
  for (const auto& d : shipped_search_dirs(kind, exe_path, source_assets))
    if (fs::is_directory(d, ec)) return d;
  return {};
}

std::string resolve_model_path(const std::string& recipe_path, const std::string& model_path) {
  const fs::path p(model_path);
  if (p.is_absolute() || model_path.rfind("memory:", 0) == 0) return model_path;
  const fs::path next_to_recipe = (fs::path(recipe_path).parent_path() / p).lexically_normal();
  // A path with a directory part says where the file is: relative to the recipe, nothing else.
  if (p.has_parent_path() || model_path.empty()) return next_to_recipe.string();
  std::error_code ec;
  if (fs::exists(next_to_recipe, ec)) return next_to_recipe.string();
  std::vector<fs::path> looked = {next_to_recipe.has_parent_path() ? next_to_recipe.parent_path() : fs::path(".")};
  for (const auto& d : shipped_search_dirs(ShippedKind::Models)) {
    if (fs::is_regular_file(d / p, ec)) return (d / p).string();
    looked.push_back(d);
  }
  throw ModelNotFoundError("model file '" + model_path + "' named by " +
                           (recipe_path.empty() ? std::string("the recipe") : recipe_path) +
                           " is neither next to the recipe nor in a shipped models directory (looked in " +
                           join_dirs(looked) +
                           "); put the file next to the recipe, set EBM_STUDIO_MODELS to the directory that holds "
                           "it, or write its path into the recipe's models[].path");
}

}  // namespace ebm
