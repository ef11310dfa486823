// The models shipped in assets/models: each concept file loads as the sampler's energy model with
// the schema of its concept, carries its sampling settings, and its denoiser has learned the data —
// one-step denoising of fresh renders beats the Gaussian prior alone by a wide margin. Catches a
// truncated or mixed-up asset (a CI clone holds the real files) without sampling, which is slow on CPU.
#include "engine/data/cubes_renderer.h"
#include "engine/data/cubes_scene.h"
#include "engine/energy/model_loader.h"
#include "engine/energy/composition.h"
#include "engine/recipe/recipe.h"
#include "engine/recipe/runnable.h"
#include "models/checkpoint/sha256.h"
#include "models/denoising_energy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

namespace ebm::eval {
namespace {

namespace fs = std::filesystem;

const fs::path kModels = fs::path(EBM_ASSETS_DIR) / "models";

TEST(ShippedModels, EveryConceptFileLoadsWithItsSchemaAndSamplingSettings) {
  // The guidance and guidance interval assets/models/MODEL_CARD.md relies on: colour guides with 2 (chosen
  // by the suite on 2026-12-05), the others with 6, the shape file only at σ ≥ 0.3.
  for (const char* concept : {"position", "size", "shape", "color"}) {
    const fs::path f = kModels / (std::string(concept) + ".safetensors");
    ASSERT_TRUE(fs::exists(f)) << "the shipped concept model " << f << " is missing";
    const auto loaded = load_energy_model(f.string());
    const ModelInfo info = loaded.model->info();
    EXPECT_TRUE(info.denoising) << f;
    EXPECT_EQ(info.label_size, data::label_size(data::cubes_concept_from_string(concept))) << f;
    EXPECT_EQ(info.schema.concept_name, concept) << f;
    EXPECT_DOUBLE_EQ(info.guidance, std::string(concept) == "color" ? 2.0 : 6.0) << f;
    if (std::string(concept) == "shape")
      EXPECT_EQ(info.guidance_interval, (GuidanceInterval{0.3, std::numeric_limits<double>::infinity()})) << f;
    else
      EXPECT_TRUE(info.guidance_interval.everywhere()) << f;
    EXPECT_GT(info.sigma_max, info.sigma_min) << f;
  }
}

// One denoising step at sigma = 0.2 on fresh renders, against the Gaussian prior's posterior mean.
TEST(ShippedModels, EveryConceptDenoiserRestoresRendersFarBetterThanThePrior) {
  int found = 0;
  for (const char* name : {"position", "size", "shape", "color"}) {
    const fs::path f = kModels / (std::string(name) + ".safetensors");
    if (!fs::exists(f)) continue;
    ++found;
    auto e = load_denoising_energy(f.string());
    auto gen = at::detail::createCPUGenerator(11);
    auto scenes = data::sample_scenes(4, gen);
    data::CubesRenderer r;
    const auto x0 = r.render(scenes);
    const auto label = data::concept_labels(scenes.first, data::cubes_concept_from_string(name));
    const double sigma = 0.2;
    torch::manual_seed(3);
    const auto xt = (x0 + sigma * torch::randn(x0.sizes())).requires_grad_(true);
    const auto g = torch::autograd::grad({e->energy(xt, label, sigma).sum()}, {xt})[0];
    const auto denoised = (xt - sigma * sigma * g).detach();
    const double sd2 = e->settings().sigma_data * e->settings().sigma_data;
    const auto prior = e->data_mean() + (xt.detach() - e->data_mean()) * (sd2 / (sd2 + sigma * sigma));
    const double model_err = (denoised - x0).square().mean().item<double>();
    const double prior_err = (prior - x0).square().mean().item<double>();
    std::printf("%-8s denoised MSE %.5f, prior %.5f (%.1fx)\n", name, model_err, prior_err, prior_err / model_err);
    EXPECT_LT(model_err, prior_err / 10) << name << ": model " << model_err << " prior " << prior_err;
  }
  EXPECT_GE(found, 1) << "no concept model in " << kModels;
}

// The model card's recipes pin the shipped files by SHA-256: a file rewritten (new weights, new
// guidance metadata) without re-pinning them would make `ebm sample --recipe` refuse to draw the card's grids.
TEST(ShippedModels, TheModelCardsRecipesPinTheShippedFiles) {
  const fs::path recipes = fs::path(EBM_ASSETS_DIR).parent_path() / "docs" / "model_card" / "recipes";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(recipes)) {
    if (entry.path().extension() != ".json") continue;
    std::vector<std::string> warnings;
    const Recipe r = load_recipe(entry.path().string(), &warnings);
    for (const auto& m : r.models) {
      const fs::path file = fs::weakly_canonical(entry.path().parent_path() / m.path);
      ASSERT_TRUE(fs::exists(file)) << entry.path() << " names " << m.path;
      EXPECT_EQ(sha256_file(file.string()), m.sha256) << entry.path().filename() << ": " << m.name
                                                      << " is not the shipped file (re-pin the recipe)";
      ++checked;
    }
  }
  EXPECT_GE(checked, 7) << "the model card's recipes are missing from " << recipes;
}

// The example recipes (assets/recipes; installed to <prefix>/share/ebm-studio/recipes, the studio's
// File > Open example): each loads without warnings, names its models by bare file name, finds them
// through the shipped-models search (resolve_model_path: from this test binary, the source tree's
// assets/models), pins today's files by SHA-256 — `ebm sample` and `ebm eval` would refuse them
// otherwise — and compiles against them (labels of the right length, masks). Every model card
// composition is among them, unchanged, besides a four-concept and a masked one.
TEST(ShippedModels, TheExampleRecipesResolveAndPinTheShippedFiles) {
  ::unsetenv("EBM_STUDIO_MODELS");  // a developer's own models directory would be searched first
  const fs::path examples = fs::path(EBM_ASSETS_DIR) / "recipes";
  std::set<std::string> names;
  bool four_concepts = false, masked = false;
  for (const auto& entry : fs::directory_iterator(examples)) {
    if (entry.path().extension() != ".json") continue;
    const std::string recipe = entry.path().string();
    const std::string name = entry.path().stem().string();
    names.insert(name);
    std::vector<std::string> warnings;
    Recipe r = load_recipe(recipe, &warnings);
    EXPECT_TRUE(warnings.empty()) << name << ": " << (warnings.empty() ? "" : warnings[0]);
    for (const auto& m : r.models) {
      EXPECT_EQ(m.path, m.name + ".safetensors") << name << ": name the shipped file by its bare name";
      const fs::path found = resolve_model_path(recipe, m.path);
      EXPECT_TRUE(fs::equivalent(found, kModels / m.path)) << name << ": " << m.path << " resolved to " << found;
      EXPECT_EQ(sha256_file(found.string()), m.sha256) << name << ": " << m.name
                                                       << " is not the shipped file (re-pin: scripts/models/example_recipes.py)";
    }
    std::vector<RecipeNote> notes;
    const ModelSet models = load_recipe_models(r, recipe, RunnableOptions{}, &notes);
    EXPECT_NO_THROW((void)CompiledComposition(r.composition, models, torch::kCPU, r.sampler.batch)) << name;
    four_concepts |= referenced_models(r.composition).size() == 4;
    for (const Node* t : collect_terms(r.composition)) masked |= t->mask.defined();
  }
  EXPECT_TRUE(four_concepts) << "no four-concept example in " << examples;
  EXPECT_TRUE(masked) << "no example with a masked term in " << examples;

  const fs::path card = fs::path(EBM_ASSETS_DIR).parent_path() / "docs" / "model_card" / "recipes";
  int compared = 0;
  for (const auto& entry : fs::directory_iterator(card)) {
    if (entry.path().extension() != ".json") continue;
    const fs::path example = examples / entry.path().filename();
    ASSERT_TRUE(fs::exists(example)) << "the model card's " << entry.path().filename() << " has no example in " << examples;
    EXPECT_EQ(node_to_json(load_recipe(example.string(), nullptr).composition),
              node_to_json(load_recipe(entry.path().string(), nullptr).composition))
        << example << " differs from the model card's composition";
    ++compared;
  }
  EXPECT_GE(compared, 7);
  EXPECT_GE(names.size(), 9u);
}

}  // namespace
}  // namespace ebm::eval
