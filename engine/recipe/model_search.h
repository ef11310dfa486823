// Where ebm finds what it ships — the concept models and the example recipes — and the model files a
// recipe names. An installed binary looks relative to its own location, so an install tree can be
// moved; a binary in the build tree falls back to the source tree. Search order, first match wins:
//   1. $EBM_STUDIO_MODELS (models) or $EBM_STUDIO_RECIPES (recipes), when set;
//   2. <exe>/../share/ebm-studio/models (or …/recipes), <exe> the running binary (/proc/self/exe,
//      symlinks resolved): `cmake --install` and the Debian package put them there;
//   3. the source tree's assets/models (or assets/recipes), compiled in: running from ./build.
// The installed location always comes before the compiled-in source path.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace ebm {

enum class ShippedKind { Models, Recipes };

// The candidate directories in search order, whether they exist or not. `exe_path` empty: this
// process's binary; `source_assets` empty: the source tree's assets/ compiled into the engine
// (tests pass both to check the order on a tree of their own).
std::vector<std::filesystem::path> shipped_search_dirs(ShippedKind kind, const std::string& exe_path = {},
                                                       const std::string& source_assets = {});
// The first of them that is a directory; an empty path when none is.
std::filesystem::path find_shipped_dir(ShippedKind kind, const std::string& exe_path = {},
                                       const std::string& source_assets = {});

// A recipe names a model file that exists nowhere it may be looked for.
struct ModelNotFoundError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Where the model file `model_path` of the recipe at `recipe_path` lives:
//   - an absolute path, or `memory:<name>` (a model a session was given in memory): as written;
//   - a relative path with a directory part (models/pos.safetensors): relative to the recipe's
//     directory (the current directory when `recipe_path` is empty);
//   - a bare file name (color.safetensors): next to the recipe when it is there, else in the first
//     shipped models directory (the search above) that holds it — so the example recipes name the
//     shipped models by name and work from the build tree, an install, or a PNG they drew.
// Throws ModelNotFoundError for a bare name found nowhere, naming the places searched and what to do.
// `ebm sample`, `ebm eval` and the studio all resolve through this one function.
std::string resolve_model_path(const std::string& recipe_path, const std::string& model_path);

}  // namespace ebm
