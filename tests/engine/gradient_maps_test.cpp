#include "engine/sampling/gradient_maps.h"
#include "test_energies.h"

#include <gtest/gtest.h>

namespace ebm {
namespace {

using test::kSize;

// A composition compiled for a batch of 4 and evaluated on one image, as the worker does it.
struct GradientMapsTest : ::testing::Test {
  ModelSet models{{"q2", test::quadratic(2.0)}, {"k", test::quadratic(3.0)}, {"net", test::tiny_net()}};
  torch::Tensor x = torch::rand({1, 3, kSize, kSize});

  // The gradient of the whole tree at x, by plain autograd through energy().
  torch::Tensor total_gradient(const CompiledComposition& c) {
    auto xi = x.clone().requires_grad_(true);
    return torch::autograd::grad({c.energy(xi, {}, 0.0, nullptr).sum()}, {xi})[0];
  }
};

TEST_F(GradientMapsTest, QuadraticTermMapIsTwiceTheDistanceTimesTheWeight) {
  // E_a = ||x − c||² (k = 2): ∂E_a/∂x = 2(x − c), so the map is |2(x − c)|·w with |·| over channels.
  const std::vector<float> c = {0.2f, 0.5f, 0.9f};
  const double w = 0.7;
  Node root = Node::op(NodeKind::And, {Node::term("a", "q2", c, w), Node::term("b", "net", {0.1f, -0.3f}, 1.3)});
  CompiledComposition comp(root, models, torch::kCPU, 4);
  const auto parts = term_gradients(comp, x, {}, 0.0);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].term, 0);
  EXPECT_NEAR(parts[0].coefficient, w, 1e-6);  // float32 energies
  EXPECT_NEAR(parts[1].coefficient, 1.3, 1e-6);
  const auto ct = torch::tensor(c).view({1, 3, 1, 1});
  const auto want = (2.0 * (x - ct) * w).square().sum(1)[0].sqrt();
  const auto map = gradient_magnitude(parts[0].grad);
  ASSERT_EQ(map.sizes(), (std::vector<int64_t>{kSize, kSize}));
  EXPECT_TRUE(torch::allclose(map, want, 1e-5, 1e-6)) << map << want;
  EXPECT_NEAR(parts[0].energy, (x - ct).square().sum().item<double>(), 1e-4);
}

TEST_F(GradientMapsTest, TermPartsAddUpToTheTotalGradientOfAnAnd) {
  Node root = Node::op(NodeKind::And, {Node::term("a", "q2", {0.2f, 0.5f, 0.9f}, 0.7), Node::term("b", "net", {0.1f, -0.3f}, 1.3),
                                       Node::term("c", "k", {0.5f, 0.5f, 0.5f}, -0.4)});
  root.weight = 2.0;
  CompiledComposition comp(root, models, torch::kCPU, 4);
  const auto parts = term_gradients(comp, x, {}, 0.0);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_NEAR(parts[0].coefficient, 1.4, 1e-6);  // weights multiply along the path
  EXPECT_NEAR(parts[2].coefficient, -0.8, 1e-6);
  auto sum = parts[0].grad + parts[1].grad + parts[2].grad;
  EXPECT_TRUE(torch::allclose(sum, total_gradient(comp), 1e-5, 1e-6));
}

TEST_F(GradientMapsTest, MasksNotAndOrShareTheGradientAsTheTreeDoes) {
  Node a = Node::term("a", "q2", {0.2f, 0.5f, 0.9f}, 0.7);
  a.mask = torch::zeros({kSize, kSize});
  a.mask.slice(1, 0, kSize / 2).fill_(1.0);  // left half only
  Node n = Node::op(NodeKind::Not, {Node::term("p", "net", {0.1f, -0.3f}), Node::term("q", "k", {0.5f, 0.5f, 0.5f})});
  n.coefficient = 0.25;
  n.weight = 0.5;
  Node o = Node::op(NodeKind::Or, {Node::term("d", "q2", {0.1f, 0.1f, 0.1f}), Node::term("e", "k", {0.9f, 0.1f, 0.4f})});
  o.temperature = 0.05;  // soft enough that both shares stay well above 0
  Node root = Node::op(NodeKind::And, {a, n, o});
  CompiledComposition comp(root, models, torch::kCPU, 4);
  const auto parts = term_gradients(comp, x, {}, 0.0);
  ASSERT_EQ(parts.size(), 5u);
  torch::Tensor sum = torch::zeros_like(x);
  for (const auto& p : parts) sum = sum + p.grad;
  EXPECT_TRUE(torch::allclose(sum, total_gradient(comp), 1e-4, 1e-5));
  // The mask zeroes the masked-out half of a's map.
  const auto map_a = gradient_magnitude(parts[0].grad);
  EXPECT_EQ(map_a.slice(1, kSize / 2, kSize).abs().max().item<float>(), 0.f);
  EXPECT_GT(map_a.slice(1, 0, kSize / 2).min().item<float>(), 0.f);
  // Not: the negative side pulls the other way, scaled by −c; Or: soft-min shares that sum to 1.
  EXPECT_NEAR(parts[1].coefficient, 0.5, 1e-6);
  EXPECT_NEAR(parts[2].coefficient, -0.125, 1e-6);
  EXPECT_NEAR(parts[3].coefficient + parts[4].coefficient, 1.0, 1e-6);
  EXPECT_GT(parts[3].coefficient, 0.0);
  EXPECT_GT(parts[4].coefficient, 0.0);
}

TEST_F(GradientMapsTest, DisabledTermsAreLeftOutAndEmptyCompositionsGiveNothing) {
  Node b = Node::term("b", "k", {0.5f, 0.5f, 0.5f});
  b.enabled = false;
  Node root = Node::op(NodeKind::And, {Node::term("a", "q2", {0.2f, 0.5f, 0.9f}), b});
  CompiledComposition comp(root, models, torch::kCPU, 4);
  const auto parts = term_gradients(comp, x, {}, 0.0);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].term, 0);

  Node off = Node::term("a", "q2", {0.2f, 0.5f, 0.9f});
  off.enabled = false;
  CompiledComposition none(off, models, torch::kCPU, 4);
  EXPECT_TRUE(term_gradients(none, x, {}, 0.0).empty());
}

TEST_F(GradientMapsTest, BadShapesAreClearErrors) {
  CompiledComposition comp(Node::term("a", "q2", {0.2f, 0.5f, 0.9f}), models, torch::kCPU, 4);
  EXPECT_THROW(term_gradients(comp, torch::rand({2, 3, kSize, kSize}), {}, 0.0), std::invalid_argument);
  EXPECT_THROW(term_gradients(comp, torch::rand({3, kSize, kSize}), {}, 0.0), std::invalid_argument);
  EXPECT_THROW(gradient_magnitude(torch::rand({2, 3, kSize, kSize})), std::invalid_argument);
  EXPECT_EQ(gradient_magnitude(torch::ones({3, 2, 2})).sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_NEAR(gradient_magnitude(torch::ones({3, 2, 2}))[0][0].item<float>(), std::sqrt(3.f), 1e-6);
}

TEST_F(GradientMapsTest, CombineIsTheTreeOverGivenEnergies) {
  Node n = Node::op(NodeKind::Not, {Node::term("p", "q2", {0.1f, 0.1f, 0.1f}), Node::term("q", "k", {0.5f, 0.5f, 0.5f})});
  n.coefficient = 0.5;
  n.weight = 3.0;
  CompiledComposition comp(n, models, torch::kCPU, 4);
  auto e = comp.combine({torch::tensor({2.0f}), torch::tensor({4.0f})});
  EXPECT_NEAR(e.item<float>(), 3.0 * (2.0 - 0.5 * 4.0), 1e-6);
  EXPECT_THROW(comp.combine({torch::tensor({2.0f})}), std::invalid_argument);
}

}  // namespace
}  // namespace ebm
