// The step rules over an evaluate callback (engine/sampling/step_rules.h): what one Langevin or
// Metropolis step does, checked against closed forms on a quadratic energy whose gradient is known,
// and the trainer's form of the Langevin step (langevin_step) as the same rule.
#include "engine/sampling/langevin.h"
#include "engine/sampling/step_rules.h"

#include <gtest/gtest.h>

namespace ebm {
namespace {

// E(x) = ½·k·‖x − c‖² per sample: ∇E = k·(x − c).
struct Quadratic {
  double k = 2.0;
  torch::Tensor c = torch::full({1, 3, 4, 4}, 0.3);
  int calls = 0;
  Evaluation operator()(const torch::Tensor& x) {
    ++calls;
    Evaluation ev;
    ev.e = (0.5 * k * (x - c).square().flatten(1).sum(1)).detach();
    ev.g = (k * (x - c)).detach();
    return ev;
  }
};

StepSize sizes(double step, double noise) {
  return {torch::full({}, step, torch::kFloat), torch::full({}, noise, torch::kFloat)};
}

TEST(StepRules, LangevinIsNoiseThenTheGradientStepAtTheNoisedPoint) {
  torch::manual_seed(1);
  Quadratic q;
  const auto x = torch::rand({2, 3, 4, 4});
  const auto xi = torch::randn({2, 3, 4, 4});
  LangevinParams lp;
  lp.clamp = false;
  const RuleResult r = langevin_rule(x, xi, sizes(0.1, 0.05), lp, std::ref(q));
  const auto xn = x + 0.05 * xi;
  EXPECT_TRUE(torch::allclose(r.x, xn - 0.1 * q.k * (xn - q.c), 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(r.energy, 0.5 * q.k * (xn - q.c).square().flatten(1).sum(1), 1e-5, 1e-6));
  EXPECT_FALSE(r.accepted.defined());
  EXPECT_EQ(q.calls, 1);
  // The clamp and the projection are the rule's structural settings.
  lp.clamp = true;
  lp.proj = ProjNorm::Elementwise;
  lp.proj_norm = 0.01;
  const RuleResult c = langevin_rule(x, {}, sizes(100.0, 0.0), lp, std::ref(q));
  EXPECT_TRUE(torch::equal(c.x, (x - 100.0 * (q.k * (x - q.c)).clamp(-0.01, 0.01)).clamp(0.0, 1.0)));
}

TEST(StepRules, TheTrainersLangevinStepIsTheSameRuleBitForBit) {
  torch::manual_seed(2);
  const auto x = torch::rand({3, 3, 4, 4});
  const auto noise = torch::randn({3, 3, 4, 4}) * 0.001;
  const auto c = torch::full({1, 3, 4, 4}, 0.6);
  LangevinParams lp;
  lp.step_lr = 100.0;
  const LangevinStepResult trainer =
      langevin_step(x, noise, [&](const torch::Tensor& xx) { return 0.5 * (xx - c).square().flatten(1).sum(1); }, lp);
  // What the original scripts write, by hand: x + noise, then the clamped gradient step.
  const auto xn = x + noise;
  EXPECT_TRUE(torch::equal(trainer.x, (xn - 100.0 * (xn - c)).clamp(0.0, 1.0)));
  EXPECT_TRUE(torch::equal(trainer.grad, xn - c));
}

TEST(StepRules, MetropolisTakesTheMalaProposalWhenTheTestPassesAndStaysWhenItFails) {
  torch::manual_seed(3);
  Quadratic q;
  const auto x = torch::rand({2, 3, 4, 4});
  const auto xi = torch::randn({2, 3, 4, 4});
  LangevinParams lp;
  lp.clamp = false;
  const double step = 0.02, noise = 0.2;
  // u → 0: log u = −inf, below any finite log α: every proposal is taken.
  const RuleResult taken = metropolis_rule(x, xi, torch::zeros({2}), sizes(step, noise), lp, 1, std::ref(q));
  EXPECT_TRUE(torch::allclose(taken.x, x - step * q.k * (x - q.c) + noise * xi, 1e-5, 1e-6));
  EXPECT_TRUE(torch::equal(taken.accepted, torch::ones({2})));
  EXPECT_EQ(q.calls, 2);  // at x and at the proposal
  // A proposal far uphill (a huge kick) fails a test with u = 1: the chain stays where it was.
  const RuleResult refused = metropolis_rule(x, xi * 1e3, torch::ones({2}), sizes(step, noise), lp, 1, std::ref(q));
  EXPECT_TRUE(torch::equal(refused.x, x));
  EXPECT_TRUE(torch::equal(refused.accepted, torch::zeros({2})));
  // Noise 0 (a predictor step): the plain gradient step, counted as taken.
  const RuleResult plain = metropolis_rule(x, xi, torch::ones({2}), sizes(step, 0.0), lp, 1, std::ref(q));
  EXPECT_TRUE(torch::allclose(plain.x, x - step * q.k * (x - q.c), 1e-6, 1e-6));
  EXPECT_TRUE(torch::equal(plain.accepted, torch::ones({2})));
}

TEST(StepRules, HmcEvaluatesOncePerLeapfrogStepPlusTheStart) {
  Quadratic q;
  LangevinParams lp;
  lp.clamp = false;
  metropolis_rule(torch::rand({1, 3, 4, 4}), torch::randn({1, 3, 4, 4}), torch::rand({1}), sizes(0.02, 0.2), lp, 4,
                  std::ref(q));
  EXPECT_EQ(q.calls, 5);
}

}  // namespace
}  // namespace ebm
