// The cost of guided terms (issue #26 item 2), counted, not timed: terms of one model share its
// unconditional evaluation (k guided terms: k + 1 evaluations, not 2k), a masked term keeps its own,
// and on the CPU a term outside its guidance interval skips the unconditional one — with the same
// energies as evaluating everything.
#include "engine/energy/composition.h"
#include "engine/energy/evaluation_cost.h"
#include "test_energies.h"

#include <gtest/gtest.h>

#include <limits>

namespace ebm {
namespace {

using test::kSize;

// A conditional denoising toy: E(x | c) = ½‖x − c‖², E(x | ∅) = ¼‖x‖²; guidance 3 unless set.
std::shared_ptr<EnergyModel> guided(double g = 3.0) { return test::conditional_denoiser(1.0, 0.5, g); }

const std::vector<float> A{0.1f, 0.2f, 0.3f}, B{0.9f, 0.8f, 0.7f}, C{0.5f, 0.5f, 0.5f};

// The energy as the plain formula: Σ u + g·(e − u) with every u evaluated.
torch::Tensor by_hand(const torch::Tensor& x, const std::vector<std::vector<float>>& labels, double g) {
  torch::Tensor sum;
  for (const auto& l : labels) {
    auto c = torch::tensor(l).view({1, 3, 1, 1});
    auto e = 0.5 * (x - c).square().flatten(1).sum(1), u = 0.25 * x.square().flatten(1).sum(1);
    auto t = u + g * (e - u);
    sum = sum.defined() ? sum + t : t;
  }
  return sum;
}

TEST(GuidedCost, TermsOfOneModelShareTheUnconditionalEvaluation) {
  ModelSet models{{"m", guided()}, {"n", guided()}};
  const auto x = torch::rand({2, 3, kSize, kSize});
  Node three = Node::op(NodeKind::And, {Node::term("a", "m", A), Node::term("b", "m", B), Node::term("c", "m", C)});
  CompiledComposition c(three, models, torch::kCPU, 2);
  const auto e = c.energy(x, {}, 0.5, nullptr);
  EXPECT_EQ(c.model_evaluations(), 3 + 1);  // k + 1
  EXPECT_TRUE(torch::allclose(e, by_hand(x, {A, B, C}, 3.0), 1e-5, 1e-5));
  // Two models: each its own unconditional energy.
  Node two = Node::op(NodeKind::And, {Node::term("a", "m", A), Node::term("b", "n", B)});
  CompiledComposition d(two, models, torch::kCPU, 2);
  d.energy(x, {}, 0.5, nullptr);
  EXPECT_EQ(d.model_evaluations(), 4);
  // A masked term's unconditional energy routes its gradient through its mask: not shared.
  three.children[1].mask = torch::ones({kSize, kSize}) * 0.5;
  CompiledComposition m(three, models, torch::kCPU, 2);
  m.energy(x, {}, 0.5, nullptr);
  EXPECT_EQ(m.model_evaluations(), 3 + 2);
  // Under one prior the masked term's share of the prior is the whole-image unconditional energy:
  // the one its model's unmasked terms evaluate (shared), beside its own masked one for the pull.
  three.shared_prior = true;
  CompiledComposition s(three, models, torch::kCPU, 2);
  s.energy(x, {}, 0.5, nullptr);
  EXPECT_EQ(s.model_evaluations(), 3 + 1 + 1);
  // Alone with its model, it evaluates both itself.
  Node masked_two = two;
  masked_two.shared_prior = true;
  masked_two.children[0].mask = torch::ones({kSize, kSize}) * 0.5;
  CompiledComposition t(masked_two, models, torch::kCPU, 2);
  t.energy(x, {}, 0.5, nullptr);
  EXPECT_EQ(t.model_evaluations(), 2 + 2 + 1);
  // The count the studio shows, read from the tree alone, is the compiled one in each case.
  const ModelInfoOf info_of = [&](const std::string& name) -> std::optional<ModelInfo> {
    return models.at(name)->info();
  };
  EXPECT_EQ(evaluations_per_step(two, info_of), 4);
  EXPECT_EQ(evaluations_per_step(three, info_of), 3 + 1 + 1);
  EXPECT_EQ(evaluations_per_step(masked_two, info_of), 2 + 2 + 1);
  three.shared_prior = false;
  EXPECT_EQ(evaluations_per_step(three, info_of), 3 + 2);
}

TEST(GuidedCost, OnTheCpuATermOutsideItsIntervalSkipsTheUnconditionalEvaluation) {
  ModelSet models{{"m", guided()}};
  const auto x = torch::rand({2, 3, kSize, kSize});
  Node t = Node::term("a", "m", A);
  t.guidance_interval = GuidanceInterval{0.3, std::numeric_limits<double>::infinity()};
  CompiledComposition c(t, models, torch::kCPU, 2);
  const auto inside = c.energy(x, {}, 0.5, nullptr);
  EXPECT_EQ(c.model_evaluations(), 2);
  EXPECT_TRUE(torch::allclose(inside, by_hand(x, {A}, 3.0), 1e-5, 1e-5));
  const auto outside = c.energy(x, {}, 0.1, nullptr);
  EXPECT_EQ(c.model_evaluations(), 2 + 1);  // the conditional energy alone
  EXPECT_TRUE(torch::allclose(outside, by_hand(x, {A}, 1.0), 1e-5, 1e-5));
}

}  // namespace
}  // namespace ebm
