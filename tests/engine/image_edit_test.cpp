// Edits from an image (issue #29, item 3): a chain started from an image noised to σ enters the
// annealed ladder there (schedule_from_sigma), each sample with its own noise, and the recipe carries
// the start as {"image", "sigma"} — through JSON, through an exported PNG, and from a file path
// relative to the recipe.
#include "engine/export/grid.h"
#include "engine/image/image_io.h"
#include "engine/recipe/recipe.h"
#include "engine/sampling/sampler.h"
#include "test_energies.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace ebm {
namespace {

namespace fs = std::filesystem;

Schedule ladder() { return geometric_schedule(1.0, 0.1, 5, 2, 0.01); }  // σ 1, 0.56, 0.32, 0.18, 0.1

// A denoising model trained on σ 0.1 … 1, and its ladder of 5 levels × 2 steps after 3 top steps.
ModelInfo denoiser() {
  ModelInfo info;
  info.denoising = true;
  info.sigma_min = 0.1;
  info.sigma_max = 1.0;
  return info;
}
LadderOptions ladder_with_top_steps() {
  LadderOptions l;
  l.levels = 5;
  l.steps_per_level = 2;
  l.top_steps = 3;
  return l;
}

TEST(ImageEdit, TheLadderIsEnteredAtTheFirstLevelAtOrBelowSigma) {
  const Schedule s = ladder();
  const Schedule cut = schedule_from_sigma(s, 0.4);
  ASSERT_EQ(cut.levels.size(), 3u);
  EXPECT_NEAR(cut.levels.front().sigma, s.levels[2].sigma, 1e-12);
  EXPECT_TRUE(same_schedule(schedule_from_sigma(cut, 0.4), cut));  // cutting again cuts nothing
  EXPECT_TRUE(same_schedule(schedule_from_sigma(s, 5.0), s));      // above σ_max: the whole ladder
  EXPECT_EQ(schedule_from_sigma(s, 0.01).levels.size(), 1u);       // below σ_min: the last level
  EXPECT_TRUE(same_schedule(schedule_from_sigma(s, s.levels[1].sigma), schedule_from_sigma(s, 0.57)));
  EXPECT_FALSE(schedule_from_sigma(Schedule{}, 0.3).annealed());   // a constant schedule stays
}

TEST(ImageEdit, AnEditInARegionTakesTheWalksTopStepsAtItsEntryLevelWithTheSameR) {
  // A walk as the presets build it: 10 top steps of r 0.6 at σ_max 1, then single steps down.
  Schedule s;
  s.levels.push_back({10, 1.0, 0.6, std::sqrt(1.2)});
  for (double sigma : {0.8, 0.5, 0.25, 0.1}) s.levels.push_back({1, sigma, sigma * 0.1, 0.0});
  EXPECT_EQ(schedule_from_sigma(s, 0.6).levels.size(), 3u);  // a whole-image edit: only cut
  const Schedule cut = schedule_from_sigma(s, 0.6, true);
  ASSERT_EQ(cut.levels.size(), 4u);  // the top steps, then 0.5, 0.25, 0.1
  const ScheduleLevel& top = cut.levels.front();
  EXPECT_EQ(top.steps, 10);
  EXPECT_DOUBLE_EQ(top.sigma, 0.5);
  EXPECT_NEAR(top.step_lr / (top.sigma * top.sigma), 0.6, 1e-12);        // the same r
  EXPECT_NEAR(top.noise_std, std::sqrt(2 * top.step_lr), 1e-12);         // still Langevin's noise
  EXPECT_DOUBLE_EQ(cut.levels[1].sigma, 0.5);                            // then the walk from there
  EXPECT_TRUE(same_schedule(schedule_from_sigma(cut, 0.6, true), cut));  // cutting again adds nothing
  EXPECT_TRUE(same_schedule(schedule_from_sigma(s, 1.0, true), s));      // at σ_max: the walk as it is
  // A ladder without top steps (every level alike) is only cut.
  EXPECT_EQ(schedule_from_sigma(ladder(), 0.4, true).levels.size(), 3u);
}

TEST(ImageEdit, OnlyAnEditThatHoldsARegionLeadsItsCutWithTheTopSteps) {
  const ModelInfo info = denoiser();
  const LadderOptions l = ladder_with_top_steps();
  SamplerParams whole;
  whole.init = InitMode::Image;
  whole.init_image = torch::full({3, 8, 8}, 0.5f);
  whole.init_sigma = 0.4;
  SamplerParams boxed = whole;
  boxed.init_region = torch::ones({1, 8, 8});
  ASSERT_TRUE(apply_denoising_schedule(whole, {info}, l));
  ASSERT_TRUE(apply_denoising_schedule(boxed, {info}, l));
  EXPECT_EQ(boxed.total_steps(), whole.total_steps() + 3);
  EXPECT_EQ(boxed.schedule.levels.front().steps, 3);
  EXPECT_DOUBLE_EQ(boxed.schedule.levels.front().sigma, whole.schedule.levels.front().sigma);
  EXPECT_DOUBLE_EQ(init_noise_sigma(boxed), init_noise_sigma(whole));  // the same noise to start from
}

TEST(ImageEdit, TheDenoisingScheduleIsCutForAnImageStartWithSigma) {
  const ModelInfo info = denoiser();
  const LadderOptions l = ladder_with_top_steps();
  SamplerParams full;
  ASSERT_TRUE(apply_denoising_schedule(full, {info}, l));
  SamplerParams p;
  p.init = InitMode::Image;
  p.init_image = torch::full({3, 8, 8}, 0.5f);
  p.init_sigma = 0.4;
  ASSERT_TRUE(apply_denoising_schedule(p, {info}, l));
  EXPECT_EQ(p.init, InitMode::Image);  // the image start is kept, not replaced by the noise start
  EXPECT_LT(p.total_steps(), full.total_steps());
  EXPECT_LE(p.schedule.levels.front().sigma, 0.4);
  EXPECT_DOUBLE_EQ(init_noise_sigma(p), p.schedule.levels.front().sigma);
  EXPECT_FALSE(apply_denoising_schedule(p, {info}, l));  // already cut
  // Without σ the image starts the whole ladder, as before.
  p.init_sigma = 0;
  p.schedule = {};
  ASSERT_TRUE(apply_denoising_schedule(p, {info}, l));
  EXPECT_EQ(p.total_steps(), full.total_steps());
  EXPECT_EQ(init_noise_sigma(p), 0.0);
}

TEST(ImageEdit, ValidationNamesInitSigma) {
  SamplerParams p;
  p.init_sigma = 0.3;  // with the grey-colour start
  try {
    p.validate();
    FAIL() << "init_sigma without an image start was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("init_sigma"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("init 'image'"), std::string::npos) << e.what();
  }
  p.init = InitMode::Image;
  p.init_image = torch::zeros({3, 4, 4});
  p.validate();
  p.init_sigma = -1;
  EXPECT_THROW(p.validate(), std::invalid_argument);
  p.init_sigma = std::nan("");
  EXPECT_THROW(p.validate(), std::invalid_argument);
}

TEST(ImageEdit, EachSampleStartsFromTheImagePlusItsOwnNoise) {
  Sampler s;
  s.set_models({{"q", test::quadratic()}});
  s.set_composition(Node::term("t", "q", {0.5f, 0.5f, 0.5f}));
  SamplerParams p;
  p.batch = 16;
  p.clamp = false;
  p.init = InitMode::Image;
  p.init_image = torch::rand({3, 16, 16}, torch::TensorOptions().dtype(torch::kFloat));
  p.init_sigma = 0.3;  // constant schedule: the noise is init_sigma itself
  s.set_params(p);
  s.start();
  const auto clean = torch::nn::functional::interpolate(
                         p.init_image.unsqueeze(0), torch::nn::functional::InterpolateFuncOptions()
                                                        .size(std::vector<int64_t>{test::kSize, test::kSize})
                                                        .mode(torch::kBilinear)
                                                        .align_corners(false))
                         .clamp(0, 1);
  const auto noise = s.state().x - clean;
  EXPECT_NEAR(noise.mean().item<double>(), 0.0, 0.02);
  EXPECT_NEAR(noise.std().item<double>(), 0.3, 0.02);
  EXPECT_GT((noise[0] - noise[1]).abs().mean().item<double>(), 0.1);  // samples differ
  // The same seed draws the same noise; a sample's start does not depend on its place in the batch.
  const auto first = s.state().x.clone();
  s.start();
  EXPECT_TRUE(torch::equal(s.state().x, first));
  // An annealed schedule noises to its (cut) first level.
  p.schedule = schedule_from_sigma(ladder(), 0.4);
  s.set_params(p);
  s.start();
  EXPECT_NEAR((s.state().x - clean).std().item<double>(), p.schedule.levels.front().sigma, 0.02);
}

struct TempDir : test::TempDir {
  TempDir() : test::TempDir("ebm_image_edit") { std::filesystem::create_directories(path / "images"); }
};

Recipe edit_recipe() {
  Recipe r;
  r.models = {{"q", "q.safetensors", ""}};
  r.composition = Node::term("t", "q", {0.5f, 0.5f, 0.5f});
  r.sampler.init = InitMode::Image;
  r.sampler.init_image = torch::rand({3, 8, 8});
  r.sampler.init_sigma = 0.35;
  return r;
}

TEST(ImageEdit, TheRecipeCarriesTheStartThroughJsonAndAnExportedPng) {
  const Recipe r = edit_recipe();
  const std::string text = recipe_to_string(r);
  EXPECT_NE(text.find("\"init\": {"), std::string::npos) << text.substr(0, 400);
  const Recipe back = recipe_from_string(text, nullptr);
  EXPECT_EQ(back.sampler.init, InitMode::Image);
  EXPECT_DOUBLE_EQ(back.sampler.init_sigma, 0.35);
  EXPECT_TRUE(torch::allclose(back.sampler.init_image, r.sampler.init_image, 0, 1.0 / 255 / 2 + 1e-6));
  TempDir d;
  const std::string png = (d.path / "grid.png").string();
  write_grid_png(png, torch::rand({2, 3, 8, 8}), GridOptions{}, &r);
  const Recipe from_png = load_recipe(png, nullptr);
  EXPECT_DOUBLE_EQ(from_png.sampler.init_sigma, 0.35);
  EXPECT_TRUE(torch::allclose(from_png.sampler.init_image, r.sampler.init_image, 0, 1.0 / 255 / 2 + 1e-6));
  // The form before the object ("init": "image" + "init_image") still reads, with σ 0.
  auto j = recipe_to_json(r);
  const auto uri = j["sampler"]["init"]["image"];
  j["sampler"]["init"] = "image";
  j["sampler"]["init_image"] = uri;
  const Recipe legacy = recipe_from_json(j, nullptr);
  EXPECT_EQ(legacy.sampler.init, InitMode::Image);
  EXPECT_EQ(legacy.sampler.init_sigma, 0.0);
}

TEST(ImageEdit, AnImagePathIsReadRelativeToTheRecipeFile) {
  TempDir d;
  save_png((d.path / "images" / "scene.png").string(), torch::full({3, 6, 6}, 0.25f));
  auto j = recipe_to_json(edit_recipe());
  j["sampler"]["init"] = {{"image", "images/scene.png"}, {"sigma", 0.2}};
  const fs::path file = d.path / "edit.json";
  std::ofstream(file) << j.dump(2);
  const Recipe r = load_recipe(file.string(), nullptr);
  ASSERT_EQ(r.sampler.init_image.dim(), 3);
  EXPECT_EQ(r.sampler.init_image.size(2), 6);
  EXPECT_NEAR(r.sampler.init_image.mean().item<double>(), 64.0 / 255, 1e-6);  // 0.25 stored as 64
  EXPECT_DOUBLE_EQ(r.sampler.init_sigma, 0.2);
  // Re-written, the image is embedded: the recipe stands alone.
  EXPECT_NE(recipe_to_string(r).find("data:image/png;base64,"), std::string::npos);
  // From text alone a path means nothing: refused, saying what to do.
  try {
    recipe_from_json(j, nullptr);
    FAIL() << "a file path was read without a recipe file";
  } catch (const RecipeError& e) {
    EXPECT_NE(std::string(e.what()).find("recipe.sampler.init.image"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("data URI"), std::string::npos) << e.what();
  }
  // A missing file, a σ out of range and an image given twice name their field.
  j["sampler"]["init"]["image"] = "images/none.png";
  std::ofstream(file) << j.dump(2);
  EXPECT_THROW(load_recipe(file.string(), nullptr), RecipeError);
  auto k = recipe_to_json(edit_recipe());
  k["sampler"]["init"]["sigma"] = -0.5;
  EXPECT_THROW(recipe_from_json(k, nullptr), RecipeError);
  k = recipe_to_json(edit_recipe());
  k["sampler"]["init_image"] = k["sampler"]["init"]["image"];
  try {
    recipe_from_json(k, nullptr);
    FAIL() << "two images were accepted";
  } catch (const RecipeError& e) {
    EXPECT_NE(std::string(e.what()).find("twice"), std::string::npos) << e.what();
  }
  k = recipe_to_json(edit_recipe());
  k["sampler"]["init"] = 3;
  EXPECT_THROW(recipe_from_json(k, nullptr), RecipeError);
}

}  // namespace
}  // namespace ebm
