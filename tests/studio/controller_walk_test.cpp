// The studio's walk by rule (`ebm-studio --quality auto` on a GPU, the Sampler panel's *auto*): the
// composition's default walk — quick around one prior, the final ladder otherwise — kept in step with
// the composition as it is edited, until a walk is named.
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
