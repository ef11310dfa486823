// Recipe: one versioned JSON document that describes a sampling run completely — models (file path
// + SHA-256 of the file), composition tree with labels, weights and masks (PNG in base64 data URIs),
// sampler parameters, seed, batch, device, app version. The studio's presets, `ebm sample` and the
// iTXt chunk of exported PNGs all use it. Format reference: docs/recipe.md.
#pragma once

#include "engine/energy/node.h"
#include "engine/recipe/json_reader.h"
#include "engine/recipe/model_search.h"  // resolve_model_path: where a recipe's model files live
#include "engine/sampling/sampler_params.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ebm {

constexpr const char* kRecipeFormat = "ebm-recipe";
constexpr int kRecipeVersion = 1;
constexpr const char* kRecipePngKey = "ebm-recipe";  // iTXt keyword in exported PNGs

// Limits checked before allocating anything a recipe asks for.
constexpr std::size_t kMaxRecipeBytes = std::size_t{64} << 20;
constexpr std::size_t kMaxRecipeModels = 64;
constexpr std::size_t kMaxEmbeddedPngBytes = std::size_t{16} << 20;
constexpr int kMaxMaskSide = 4096;

struct ModelRef {
  std::string name;    // the key composition terms use
  std::string path;    // as written; resolve_model_path (engine/recipe/model_search.h) finds the file
  std::string sha256;  // of the file's bytes, lowercase hex (empty: unchecked, warned)
};

struct Recipe {
  int version = kRecipeVersion;
  std::string app_version;
  std::vector<ModelRef> models;
  Node composition;
  SamplerParams sampler;  // includes seed, batch, sample offset/ids, init, device
};

// Serialises with every field explicit (defaults included) so a recipe documents its run.
nlohmann::json recipe_to_json(const Recipe& r);
std::string recipe_to_string(const Recipe& r);  // pretty JSON, 2-space indent

// Where a recipe may read the files it names (sampler.init.image as a path, not a data URI):
// relative paths resolve against `dir` (empty: the working directory). A recipe read from text alone
// (pasted, a script's, a fuzzer's) is given none and may name no file.
struct RecipeFiles {
  std::string dir;
};

// Throws RecipeError naming the JSON path and what was expected; unknown keys go to `warnings`.
Recipe recipe_from_json(const nlohmann::json& j, std::vector<std::string>* warnings, const RecipeFiles* files = nullptr);
Recipe recipe_from_string(std::string_view text, std::vector<std::string>* warnings, const RecipeFiles* files = nullptr);
// A .json recipe, or a PNG exported by ebm (its ebm-recipe chunk); files it names are read relative
// to its directory. Throws RecipeError/FileError.
Recipe load_recipe(const std::string& path, std::vector<std::string>* warnings);
void save_recipe(const std::string& path, const Recipe& r);  // atomic

// The composition part alone (the GUI's copy/paste of trees).
nlohmann::json node_to_json(const Node& n);
Node node_from_json(const nlohmann::json& j, const std::string& path, std::vector<std::string>* warnings);

}  // namespace ebm
