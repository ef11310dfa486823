#include "engine/recipe/runnable.h"

#include "engine/energy/model_loader.h"

#include <stdexcept>

namespace ebm {

ModelSet load_recipe_models(Recipe& r, const std::string& recipe_path, const RunnableOptions& o,
                            std::vector<RecipeNote>* notes) {
  ModelSet models;
  for (auto& ref : r.models) {
    const std::string path = resolve_model_path(recipe_path, ref.path);
    auto loaded = load_energy_model(path);
    if (!ref.sha256.empty() && loaded.sha256 != ref.sha256) {
      const std::string msg = "model '" + ref.name + "' (" + path + ") has SHA-256 " + loaded.sha256 +
                              " but the recipe was made with " + ref.sha256;
      if (!o.ignore_hash)
        throw std::runtime_error(msg + "; pass --ignore-hash to " + o.ignore_hash_action + " this file anyway");
      if (notes) notes->push_back({true, msg});
    }
    ref.sha256 = loaded.sha256;
    if (notes) notes->push_back({false, "model " + ref.name + ": " + loaded.summary});
    models[ref.name] = loaded.model;
  }
  return models;
}

bool apply_model_schedule(SamplerParams& p, const Node& composition, const ModelInfoLookup& info_of,
                          const LadderOptions& ladder) {
  std::vector<ModelInfo> infos;
  for (const auto& name : referenced_models(composition))
    if (auto info = info_of(name)) infos.push_back(*info);
  return apply_denoising_schedule(p, infos, ladder);
}

bool apply_model_schedule(SamplerParams& p, const ModelSet& models, const LadderOptions& ladder) {
  std::vector<ModelInfo> infos;
  for (const auto& [name, m] : models) infos.push_back(m->info());
  return apply_denoising_schedule(p, infos, ladder);
}

RunnableRecipe make_runnable(Recipe r, const std::string& recipe_path, const RunnableOptions& o) {
  RunnableRecipe out;
  out.models = load_recipe_models(r, recipe_path, o, &out.notes);
  // Denoising models sample only on a noise ladder: a recipe without a schedule gets theirs (the one
  // `ebm eval` and the studio use), and keeps it in what it writes.
  out.schedule_from_models = apply_model_schedule(r.sampler, r.composition, info_lookup(out.models), o.ladder);
  out.recipe = std::move(r);
  return out;
}

}  // namespace ebm
