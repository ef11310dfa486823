// An edit's region (SamplerParams::init_region, issue #29): after every step the part of the image
// outside the region is put back to the start image noised to the σ the chain is at then — the
// image itself after the last step — while the region is redrawn by the composition. Validated,
// carried by the recipe (JSON, exported PNG, a file path) and part of the chain's identity.
#include "engine/export/grid.h"
#include "engine/image/image_io.h"
#include "engine/recipe/recipe.h"
#include "engine/sampling/sampler.h"
#include "test_energies.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ebm {
namespace {

// Columns 0..3 of the 8-pixel image may be redrawn, columns 4..7 are held.
torch::Tensor left_half_region() {
  auto r = torch::zeros({1, test::kSize, test::kSize});
  r.slice(2, 0, test::kSize / 2).fill_(1.0f);
  return r;
}

torch::Tensor held(const torch::Tensor& x) { return x.slice(3, test::kSize / 2, test::kSize); }
torch::Tensor redrawn(const torch::Tensor& x) { return x.slice(3, 0, test::kSize / 2); }

SamplerParams edit_params(const torch::Tensor& image) {
  SamplerParams p;
  p.batch = 16;
  p.clamp = false;
  p.init = InitMode::Image;
  p.init_image = image;
  p.init_region = left_half_region();
  return p;
}

TEST(EditRegion, WithoutANoiseLevelTheHeldPartIsTheImageAfterEveryStepAndTheRegionIsRedrawn) {
  Sampler s;
  s.set_models({{"q", test::quadratic()}});
  s.set_composition(Node::term("t", "q", {0.8f, 0.8f, 0.8f}));  // pulls every pixel to 0.8
  const auto image = torch::full({3, test::kSize, test::kSize}, 0.2f);
  SamplerParams p = edit_params(image);
  p.init_sigma = 0.3;  // the whole start is noised, held part too
  p.step_lr = 0.2;
  p.noise_std = 0.001;
  s.set_params(p);
  s.start();
  EXPECT_GT(held(s.state().x).sub(0.2).abs().max().item<double>(), 0.1);  // noised at the start
  for (int i = 0; i < 40; ++i) {
    s.step();
    // A model without a noise level: the chain is at σ 0 after each step, so the held part is the image.
    ASSERT_TRUE(torch::allclose(held(s.state().x), torch::full_like(held(s.state().x), 0.2f), 0, 1e-6)) << "step " << i;
  }
  EXPECT_NEAR(redrawn(s.state().x).mean().item<double>(), 0.8, 0.02);  // the region went to the label
  // Without a region the whole image is redrawn.
  p.init_region = torch::Tensor();
  s.set_params(p);
  s.start();
  for (int i = 0; i < 40; ++i) s.step();
  EXPECT_NEAR(held(s.state().x).mean().item<double>(), 0.8, 0.02);
}

TEST(EditRegion, OnALadderTheHeldPartCarriesTheNextStepsNoiseAndIsTheImageAfterTheLastStep) {
  Sampler s;
  s.set_models({{"d", test::conditional_denoiser(1.0, 1.0)}});
  s.set_composition(Node::term("t", "d", {0.7f, 0.7f, 0.7f}));
  const auto image = torch::rand({3, test::kSize, test::kSize});
  SamplerParams p = edit_params(image);
  p.batch = 64;
  p.schedule = geometric_schedule(1.0, 0.1, 5, 2, 0.01);  // σ 1, 0.56, 0.32, 0.18, 0.1; 2 steps each
  p.init_sigma = 0.6;
  p.schedule = schedule_from_sigma(p.schedule, p.init_sigma);  // as apply_denoising_schedule cuts it
  s.set_params(p);
  s.start();
  const std::int64_t steps = p.total_steps();
  ASSERT_EQ(steps, 8);
  const auto clean = image.unsqueeze(0);
  for (std::int64_t k = 0; k < steps; ++k) {
    s.step();
    const double noise = (held(s.state().x) - held(clean)).std().item<double>();
    if (k + 1 < steps) {
      EXPECT_NEAR(noise, p.at(k + 1).sigma, 0.1 * p.at(k + 1).sigma) << "after step " << k;
    } else {
      EXPECT_LT(noise, 1e-6) << "after the last step the held part is the image";
    }
  }
  // The held noise is the seed's: the same chain twice is the same.
  const auto first = s.state().x.clone();
  s.start();
  for (std::int64_t k = 0; k < steps; ++k) s.step();
  EXPECT_TRUE(torch::equal(s.state().x, first));
}

TEST(EditRegion, ValidationNamesInitRegionAndSaysWhatFits) {
  auto expect_bad = [](SamplerParams p, const std::string& says) {
    try {
      p.validate();
      FAIL() << "accepted: " << says;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("init_region"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  SamplerParams p = edit_params(torch::zeros({3, 8, 8}));
  p.validate();
  SamplerParams no_image = p;
  no_image.init = InitMode::GreyColour;
  no_image.init_image = torch::Tensor();
  expect_bad(no_image, "init 'image'");
  SamplerParams colour = p;
  colour.init_region = torch::ones({3, 8, 8});
  expect_bad(colour, "[1,H,W]");
  SamplerParams too_high = p;
  too_high.init_region = torch::full({1, 8, 8}, 1.5f);
  expect_bad(too_high, "[0, 1]");
  SamplerParams nan = p;
  nan.init_region = torch::full({1, 8, 8}, std::nanf(""));
  expect_bad(nan, "[0, 1]");
}

TEST(EditRegion, ARegionOfAnotherSizeIsResizedAndIsPartOfTheChainsIdentity) {
  SamplerParams a = edit_params(torch::zeros({3, 8, 8}));
  SamplerParams b = a;
  EXPECT_TRUE(a.same_chain(b));
  b.init_region = 1 - a.init_region;
  EXPECT_FALSE(a.same_chain(b));  // another region is another chain: a restart
  EXPECT_TRUE(torch::equal(a.with_identity_of(b).init_region, b.init_region));

  Sampler s;
  s.set_models({{"q", test::quadratic()}});
  s.set_composition(Node::term("t", "q", {0.8f, 0.8f, 0.8f}));
  SamplerParams p = edit_params(torch::full({3, 32, 32}, 0.2f));
  auto big = torch::zeros({1, 32, 32});
  big.slice(2, 0, 16).fill_(1.0f);  // the left half again, at 32 px
  p.init_region = big;
  p.step_lr = 0.2;
  s.set_params(p);
  s.start();
  for (int i = 0; i < 30; ++i) s.step();
  EXPECT_TRUE(torch::allclose(held(s.state().x), torch::full_like(held(s.state().x), 0.2f), 0, 1e-6));
  EXPECT_GT(redrawn(s.state().x).mean().item<double>(), 0.7);
}

struct TempDir : test::TempDir {
  TempDir() : test::TempDir("ebm_edit_region") {}
};

Recipe region_recipe() {
  Recipe r;
  r.models = {{"q", "q.safetensors", ""}};
  r.composition = Node::term("t", "q", {0.5f, 0.5f, 0.5f});
  r.sampler.init = InitMode::Image;
  r.sampler.init_image = torch::rand({3, 8, 8});
  r.sampler.init_sigma = 0.4;
  r.sampler.init_region = left_half_region();
  return r;
}

TEST(EditRegion, TheRecipeCarriesTheRegionThroughJsonAPngAndAFilePath) {
  const Recipe r = region_recipe();
  const std::string text = recipe_to_string(r);
  EXPECT_NE(text.find("\"region\""), std::string::npos);
  const Recipe back = recipe_from_string(text, nullptr);
  ASSERT_TRUE(back.sampler.init_region.defined());
  EXPECT_TRUE(torch::equal(back.sampler.init_region, r.sampler.init_region));  // 0 and 1 are exact in 8 bits
  TempDir d;
  const std::string png = (d.path / "grid.png").string();
  write_grid_png(png, torch::rand({2, 3, 8, 8}), GridOptions{}, &r);
  EXPECT_TRUE(torch::equal(load_recipe(png, nullptr).sampler.init_region, r.sampler.init_region));

  // A file path, relative to the recipe; a colour PNG counts by luminance.
  save_png((d.path / "region.png").string(), torch::full({3, 4, 4}, 1.0f));
  auto j = recipe_to_json(r);
  j["sampler"]["init"]["region"] = "region.png";
  std::ofstream(d.path / "edit.json") << j.dump(2);
  const Recipe from_file = load_recipe((d.path / "edit.json").string(), nullptr);
  ASSERT_EQ(from_file.sampler.init_region.dim(), 3);
  EXPECT_EQ(from_file.sampler.init_region.size(0), 1);
  EXPECT_NEAR(from_file.sampler.init_region.min().item<double>(), 1.0, 1e-6);
  // Errors name the field: a missing file, a path in a recipe read from text, a region without an image.
  j["sampler"]["init"]["region"] = "none.png";
  std::ofstream(d.path / "edit.json") << j.dump(2);
  try {
    load_recipe((d.path / "edit.json").string(), nullptr);
    FAIL() << "a missing region file was accepted";
  } catch (const RecipeError& e) {
    EXPECT_NE(std::string(e.what()).find("init.region"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("none.png"), std::string::npos) << e.what();
  }
  j["sampler"]["init"]["region"] = "region.png";
  try {
    recipe_from_json(j, nullptr);
    FAIL() << "a region path was read without a recipe file";
  } catch (const RecipeError& e) {
    EXPECT_NE(std::string(e.what()).find("data URI"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ebm
