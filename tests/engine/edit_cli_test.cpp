// `ebm sample --init-image --init-sigma` (issue #29, item 3): the headless edit. The chain starts from
// the image noised to σ, walks the ladder from there, and the PNG's recipe carries both.
#include "engine/image/image_io.h"
#include "engine/recipe/recipe.h"

#include "tests/support/cli_run.h"
#include "tests/support/temp_dir.h"
#include "tests/support/denoiser_recipe.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

namespace ebm {
namespace {

namespace fs = std::filesystem;

struct Dir : test::TempDir {
  Dir() : TempDir("ebm_edit_cli") {}
};

test::CliRun ebm(const Dir& d, const std::vector<std::string>& args) {
  return test::run_binary(EBM_BINARY, args, d.f("stderr.txt"));
}

TEST(EditCli, SampleFromANoisedImageWalksTheLadderFromThere) {
  Dir d;
  test::save_denoiser_recipe(d.str());
  save_png(d.f("scene.png"), torch::full({3, 64, 64}, 0.4f));

  auto full = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("full.png"), "--steps", "9"});
  ASSERT_EQ(full.code, 0) << full.err;
  auto edit = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("edit.png"), "--steps", "9", "--init-image",
                      d.f("scene.png"), "--init-sigma", "0.3"});
  ASSERT_EQ(edit.code, 0) << edit.err;
  EXPECT_NE(edit.err.find("starting from the init image noised to sigma"), std::string::npos) << edit.err;
  const Recipe a = load_recipe(d.f("full.png"), nullptr);
  const Recipe b = load_recipe(d.f("edit.png"), nullptr);
  EXPECT_EQ(b.sampler.init, InitMode::Image);
  EXPECT_DOUBLE_EQ(b.sampler.init_sigma, 0.3);
  EXPECT_LT(b.sampler.total_steps(), a.sampler.total_steps());
  EXPECT_LE(b.sampler.schedule.levels.front().sigma, 0.3);
  EXPECT_NEAR(b.sampler.init_image.mean().item<double>(), 102.0 / 255, 1e-6);  // 0.4 stored as 102
  // The grid re-runs from its own recipe to the same images.
  auto again = ebm(d, {"sample", "--recipe", d.f("edit.png"), "--out", d.f("again.png")});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(torch::equal(load_png(d.f("again.png")), load_png(d.f("edit.png"))));

  auto r1 = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("x.png"), "--init-sigma", "0.3"});
  EXPECT_EQ(r1.code, 2);
  EXPECT_NE(r1.err.find("--init-image"), std::string::npos) << r1.err;
  auto r2 = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("x.png"), "--init-image", d.f("none.png")});
  EXPECT_NE(r2.code, 0);
  EXPECT_NE(r2.err.find("none.png"), std::string::npos) << r2.err;
  EXPECT_FALSE(fs::exists(d.f("x.png")));
}

// `ebm render --folder --regions` writes each scene's object region, and `ebm sample --init-region`
// holds the image outside it (the pixels themselves: tests/engine/edit_region_test.cpp).
TEST(EditCli, RenderWritesObjectRegionsAndSampleHoldsTheImageOutsideOne) {
  Dir d;
  auto render = ebm(d, {"render", "--n", "2", "--seed", "3", "--folder", d.f("scenes"), "--regions"});
  ASSERT_EQ(render.code, 0) << render.err;
  const torch::Tensor scene = load_image(d.f("scenes/scene_00000.png"), 3).squeeze(0);
  const torch::Tensor region = load_image(d.f("scenes/regions/scene_00000.png"), 1).squeeze(0);
  ASSERT_EQ(region.size(1), scene.size(1));
  const double white = region.mean().item<double>();
  EXPECT_GT(white, 0.01);  // the object and its shadow
  EXPECT_LT(white, 0.5);   // not the floor
  // Every pixel that differs from the flat floor lies inside the region.
  const auto floor = torch::tensor({0.36f, 0.38f, 0.42f}).view({3, 1, 1});
  const auto object = (scene - floor).abs().amax(0, true).gt(0.06);
  EXPECT_EQ((object.logical_and(region.lt(0.5))).sum().item<int64_t>(), 0);
  auto no_folder = ebm(d, {"render", "--n", "2", "--out", d.f("g.png"), "--regions"});
  EXPECT_EQ(no_folder.code, 2);
  EXPECT_NE(no_folder.err.find("--folder"), std::string::npos) << no_folder.err;

  test::save_denoiser_recipe(d.str());
  auto edit = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("edit.png"), "--steps", "9", "--init-image",
                      d.f("scenes/scene_00000.png"), "--init-sigma", "0.3", "--init-region",
                      d.f("scenes/regions/scene_00000.png")});
  ASSERT_EQ(edit.code, 0) << edit.err;
  EXPECT_NE(edit.err.find("outside its region the image is held"), std::string::npos) << edit.err;
  const Recipe b = load_recipe(d.f("edit.png"), nullptr);
  ASSERT_TRUE(b.sampler.init_region.defined());
  EXPECT_TRUE(torch::allclose(b.sampler.init_region, region, 0, 1e-6));
  auto again = ebm(d, {"sample", "--recipe", d.f("edit.png"), "--out", d.f("again.png")});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(torch::equal(load_png(d.f("again.png")), load_png(d.f("edit.png"))));

  auto alone = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("x.png"), "--init-region",
                       d.f("scenes/regions/scene_00000.png")});
  EXPECT_EQ(alone.code, 2);
  EXPECT_NE(alone.err.find("--init-image"), std::string::npos) << alone.err;
  auto missing = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("x.png"), "--init-image",
                         d.f("scenes/scene_00000.png"), "--init-region", d.f("none.png")});
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.err.find("none.png"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(d.f("x.png")));
}

}  // namespace
}  // namespace ebm
