// From a recipe to what runs it — its models loaded (each file checked against the recipe's SHA-256)
// and the schedule its denoising models need — in one place for `ebm sample`, `ebm eval` and the
// studio. The studio loads its models itself, one background task per file, and so calls the
// schedule half alone as each model arrives (app/studio/controller_composition.cpp).
#pragma once

#include "engine/energy/energy_model.h"
#include "engine/energy/node.h"
#include "engine/recipe/recipe.h"
#include "engine/sampling/sampler_params.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ebm {

struct RunnableOptions {
  // Use a model file whose hash differs from the recipe's (the mismatch becomes a note).
  bool ignore_hash = false;
  // What the refusal's advice says the flag does: "pass --ignore-hash to <action> this file anyway".
  std::string ignore_hash_action = "sample with";
  LadderOptions ladder;  // how a denoising model's ladder is walked
};

// What loading said, model by model: the loader's summary, or a hash mismatch let through.
struct RecipeNote {
  bool hash_mismatch = false;
  std::string text;
};

// A recipe ready to run: its hashes filled in from the files, its sampler on the schedule its
// denoising models need (when it had a constant one), the models loaded.
struct RunnableRecipe {
  Recipe recipe;
  ModelSet models;
  bool schedule_from_models = false;  // the ladder was filled in here
  std::vector<RecipeNote> notes;
};

// Loads every model of `r` (paths relative to `recipe_path`) and fills in their hashes. A hash that
// differs from the recipe's throws std::runtime_error (what to pass to go on) unless
// `o.ignore_hash`; then it is noted.
ModelSet load_recipe_models(Recipe& r, const std::string& recipe_path, const RunnableOptions& o,
                            std::vector<RecipeNote>* notes);

// The ModelInfo of a loaded model by name (energy_model.h; info_lookup() makes one over a ModelSet).
using ModelInfoLookup = ModelInfoOf;

// apply_denoising_schedule() (sampler_params.h) for the models `composition` uses: when `p` has a
// constant schedule and one of them is a denoising model, their ladder (walked as `ladder` says), no
// clamp along it and the `noise` start. Returns whether it changed `p`.
bool apply_model_schedule(SamplerParams& p, const Node& composition, const ModelInfoLookup& info_of,
                          const LadderOptions& ladder = {});
// The same over every model of `models` (a suite's shared schedule, before its compositions exist).
bool apply_model_schedule(SamplerParams& p, const ModelSet& models, const LadderOptions& ladder = {});

// load_recipe_models + apply_model_schedule: the recipe as `ebm sample` runs it.
RunnableRecipe make_runnable(Recipe r, const std::string& recipe_path, const RunnableOptions& o = {});

}  // namespace ebm
