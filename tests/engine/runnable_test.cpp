// From a recipe to what runs it (engine/recipe/runnable.h): the schedule a composition's models need,
// decided in one place for `ebm sample`, `ebm eval` and the studio, from the models the tree uses.
#include "engine/recipe/runnable.h"
#include "test_energies.h"

#include <gtest/gtest.h>

namespace ebm {
namespace {

std::shared_ptr<EnergyModel> denoising(double sigma_min, double sigma_max) {
  ModelInfo info;
  info.channels = 3;
  info.image_size = test::kSize;
  info.denoising = true;
  info.sigma_min = sigma_min;
  info.sigma_max = sigma_max;
  return std::make_shared<FunctionModel>([](const torch::Tensor& x, const torch::Tensor&) { return x.flatten(1).sum(1); },
                                         info);
}

TEST(Runnable, TheScheduleIsThatOfTheModelsTheTreeUses) {
  const ModelSet models{{"d", denoising(0.02, 0.8)}, {"q", test::quadratic()}, {"wide", denoising(0.001, 5.0)}};
  const Node tree = Node::op(NodeKind::And, {Node::term("a", "d"), Node::term("b", "q", {0.5f, 0.5f, 0.5f})});
  SamplerParams p;
  ASSERT_TRUE(apply_model_schedule(p, tree, info_lookup(models)));
  EXPECT_DOUBLE_EQ(p.schedule.levels.front().sigma, 0.8);  // d's range alone: "wide" is not in the tree
  EXPECT_DOUBLE_EQ(p.schedule.levels.back().sigma, 0.02);
  EXPECT_FALSE(p.clamp);
  EXPECT_EQ(p.init, InitMode::Noise);
  // A schedule of its own is kept; a tree of plain energies keeps the constant one.
  EXPECT_FALSE(apply_model_schedule(p, tree, info_lookup(models)));
  SamplerParams plain;
  EXPECT_FALSE(apply_model_schedule(plain, Node::term("b", "q", {0.5f, 0.5f, 0.5f}), info_lookup(models)));
  EXPECT_TRUE(plain.clamp);
  // A model not loaded yet (the studio's background tasks) is left out until it is.
  SamplerParams waiting;
  const ModelInfoLookup none = [](const std::string&) -> std::optional<ModelInfo> { return std::nullopt; };
  EXPECT_FALSE(apply_model_schedule(waiting, tree, none));
  // Over every model of a set (a suite's shared schedule): the range all of them were trained on.
  SamplerParams suite;
  ASSERT_TRUE(apply_model_schedule(suite, models));
  EXPECT_DOUBLE_EQ(suite.schedule.levels.front().sigma, 0.8);
  EXPECT_DOUBLE_EQ(suite.schedule.levels.back().sigma, 0.02);
}

}  // namespace
}  // namespace ebm
