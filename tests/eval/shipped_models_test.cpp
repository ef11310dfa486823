// The models shipped in assets/models: each concept file loads as the sampler's energy model with
// the schema of its concept, carries its sampling settings, and its denoiser has learned the data —
// one-step denoising of fresh renders beats the Gaussian prior alone by a wide margin. Catches a
// truncated or mixed-up asset (a CI clone holds the real files) without sampling, which is slow on CPU.
#include "engine/data/cubes_renderer.h"
#include "engine/data/cubes_scene.h"
#include "engine/energy/model_loader.h"
#include "engine/recipe/recipe.h"
#include "models/checkpoint/sha256.h"
#include "models/denoising_energy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

namespace ebm::eval {
namespace {

namespace fs = std::filesystem;

const fs::path kModels = fs::path(EBM_ASSETS_DIR) / "models";

TEST(ShippedModels, EveryConceptFileLoadsWithItsSchemaAndSamplingSettings) {
  int found = 0;
  for (const char* concept : {"position", "size", "shape", "color"}) {
    const fs::path f = kModels / (std::string(concept) + ".safetensors");
    if (!fs::exists(f)) continue;  // not every concept ships yet (MODEL_CARD.md)
    ++found;
    const auto loaded = load_energy_model(f.string());
    const ModelInfo info = loaded.model->info();
    EXPECT_TRUE(info.denoising) << f;
    EXPECT_EQ(info.label_size, data::label_size(data::cubes_concept_from_string(concept))) << f;
    EXPECT_EQ(info.schema.concept_name, concept) << f;
    EXPECT_GE(info.guidance, 1.0) << f;
    EXPECT_GT(info.sigma_max, info.sigma_min) << f;
  }
  EXPECT_GE(found, 1) << "no concept model in " << kModels;
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

}  // namespace
}  // namespace ebm::eval
