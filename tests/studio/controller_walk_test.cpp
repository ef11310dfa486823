// The studio's walk by rule (`ebm-studio --quality auto` on a GPU, the Sampler panel's *auto*): the
// composition's default walk — quick around one prior, the final ladder otherwise — kept in step with
// the composition as it is edited, until a walk is named; and the guidance a term's slider shows while
// it names none, which follows the composition the same way.
#include "app/studio/controller.h"
#include "tests/studio/controller_fixtures.h"

#include <gtest/gtest.h>

using namespace ebm;
using namespace ebm::studio;
using namespace ebm::studio::test;

TEST(ControllerWalk, ByRuleTheWalkFollowsTheCompositionsPriorUntilOneIsNamed) {
  UiLog log;
  ControllerOptions o = fast_options();
  o.walk_by_rule = true;
  Controller c(log, o);
  c.add_model("a", denoising_model(), ModelConfig{});
  c.add_model("b", denoising_model(), ModelConfig{});
  c.add_term({}, "a", std::vector<float>{0.f, 0.f}, 1.0);
  c.add_term({}, "b", std::vector<float>{0.5f, 0.5f}, 1.0);
  EXPECT_TRUE(c.walk_by_rule());
  EXPECT_EQ(c.sampler().total_steps(), 400);  // summed: the final ladder
  EXPECT_EQ(quality_of(c.ladder()), "final");
  c.set_shared_prior({}, true);
  EXPECT_EQ(c.sampler().total_steps(), 24 + 14 + 1);  // around one prior: the quick walk
  EXPECT_EQ(quality_of(c.ladder()), "quick");
  c.start();
  ASSERT_TRUE(poll_until(c, [&] { return c.snapshot() && c.snapshot()->step >= 5; }));
  EXPECT_EQ(c.snapshot()->total_steps, 39);
  c.set_shared_prior({}, false);
  EXPECT_EQ(c.sampler().total_steps(), 400);
  // A named walk holds whatever the composition does, until auto is chosen again.
  c.set_ladder(draft_ladder());
  EXPECT_FALSE(c.walk_by_rule());
  c.set_shared_prior({}, true);
  EXPECT_EQ(c.sampler().total_steps(), 27);
  c.set_walk_by_rule();
  EXPECT_TRUE(c.walk_by_rule());
  EXPECT_EQ(c.sampler().total_steps(), 39);
  EXPECT_EQ(log.error_count(), 0u);
}

// The guidance slider's value while a term names none (Controller::default_guidance): its model's,
// and 3 while three or more terms of guidance 6 pull around one prior (engine/energy/guidance_rule.h).
TEST(ControllerGuidance, ThreeStrongTermsAroundOnePriorShowTheRulesGuidanceUntilOneIsNamed) {
  UiLog log;
  Controller c(log, fast_options());
  ModelInfo info = denoising_info();
  info.guidance = 6.0;
  auto strong = std::make_shared<FunctionModel>(
      [](const torch::Tensor& x, const torch::Tensor&) { return 0.5 * (x - 0.5).square().flatten(1).sum(1); }, info);
  for (const char* name : {"a", "b", "c"}) c.add_model(name, strong, ModelConfig{});
  for (const char* name : {"a", "b", "c"}) c.add_term({}, name, std::vector<float>{0.f, 0.f}, 1.0);
  EXPECT_DOUBLE_EQ(c.default_guidance({0}), 6.0);  // summed: each with its own prior
  c.set_shared_prior({}, true);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(c.default_guidance({i}), 3.0) << i;
  c.set_guidance({0}, 1.0);  // named 1: it no longer pulls, two are left
  EXPECT_DOUBLE_EQ(c.default_guidance({1}), 6.0);
  EXPECT_EQ(log.error_count(), 0u);
}
