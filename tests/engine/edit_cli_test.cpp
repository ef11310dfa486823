// `ebm sample --init-image --init-sigma` (issue #29, item 3): the headless edit. The chain starts from
// the image noised to σ, walks the ladder from there, and the PNG's recipe carries both.
#include "engine/image/image_io.h"
#include "engine/recipe/recipe.h"
#include "models/checkpoint/sha256.h"

#include "tests/support/cli_run.h"
#include "tests/support/temp_dir.h"
#include "tests/support/small_denoiser.h"

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
  test::save_small_denoiser(d.f("models/pos.safetensors"), "position", 1, 0.05, 1.0);
  Recipe r;
  r.models = {{"pos", "models/pos.safetensors", sha256_file(d.f("models/pos.safetensors"))}};
  r.composition = Node::term("position", "pos", {0.3f, -0.4f});
  r.sampler.batch = 2;
  save_recipe(d.f("r.json"), r);
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

}  // namespace
}  // namespace ebm
