// The shared-prior composition (composition.h, "One prior"): an And/Not of conditional denoising
// terms composes their pulls around one prior, the weighted mean of their unconditional energies.
#include "engine/energy/composition.h"
#include "engine/recipe/recipe.h"
#include "test_energies.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ebm {
namespace {

using test::kSize;

// Conditional "denoising" toys whose unconditional energies have scales of their own, so two models'
// priors differ (test_energies.h).
std::shared_ptr<EnergyModel> toy(double a, double b, double guidance = 1.0) {
  return test::conditional_denoiser(a, b, guidance);
}

const std::vector<float> A{0.1f, 0.2f, 0.3f}, B{0.9f, 0.8f, 0.7f};

struct SharedPrior : ::testing::Test {
  ModelSet models{{"m1", toy(1.0, 0.4)}, {"m2", toy(2.0, 1.5, 3.0)}, {"plain", test::quadratic(1.0)}};
  torch::Tensor x = torch::rand({3, 3, kSize, kSize});

  torch::Tensor U(const std::string& m, const torch::Tensor& xi) {
    return models.at(m)->energy(xi, torch::Tensor(), {}, 0.0).reshape({-1});
  }
  torch::Tensor C(const std::string& m, const torch::Tensor& xi, const std::vector<float>& l) {
    auto lab = torch::tensor(l).unsqueeze(0).expand({xi.size(0), 3});
    return models.at(m)->energy(xi, lab, {}, 0.0).reshape({-1});
  }
  // Energy and input gradient of the tree and of the formula agree.
  void check(const Node& root, const std::function<torch::Tensor(const torch::Tensor&)>& f) {
    CompiledComposition c(root, models, torch::kCPU, x.size(0));
    auto xi = x.clone().requires_grad_(true);
    auto e = c.energy(xi, {}, 0.3, nullptr);
    auto g = torch::autograd::grad({e.sum()}, {xi})[0];
    auto xj = x.clone().requires_grad_(true);
    auto e2 = f(xj);
    auto g2 = torch::autograd::grad({e2.sum()}, {xj})[0];
    EXPECT_TRUE(torch::allclose(e, e2.detach(), 1e-5, 1e-5)) << e << e2;
    // float32 sums in another order (the thread count a loaded machine gives a reduction): 1e-5.
    EXPECT_TRUE(torch::allclose(g, g2, 1e-5, 1e-5)) << (g - g2).abs().max();
  }
};

TEST_F(SharedPrior, AndAveragesTheUnconditionalEnergiesAndSumsThePulls) {
  // m2 carries a recommended guidance of 3: its pull is 3·(C − U).
  Node root = Node::op(NodeKind::And, {Node::term("a", "m1", A), Node::term("b", "m2", B)});
  root.shared_prior = true;
  check(root, [&](const torch::Tensor& xi) {
    return 0.5 * (U("m1", xi) + U("m2", xi)) + (C("m1", xi, A) - U("m1", xi)) + 3.0 * (C("m2", xi, B) - U("m2", xi));
  });
  // Summed ("each", the default), every term brings its own unconditional energy.
  root.shared_prior = false;
  check(root, [&](const torch::Tensor& xi) {
    return C("m1", xi, A) + (U("m2", xi) + 3.0 * (C("m2", xi, B) - U("m2", xi)));
  });
}

TEST_F(SharedPrior, TermWeightsScaleThePullAndTheShareOfThePriorOperatorWeightsTheWhole) {
  Node root = Node::op(NodeKind::And, {Node::term("a", "m1", A, 3.0), Node::term("b", "m2", B, 0.5)});
  root.shared_prior = true;
  root.weight = 2.0;
  check(root, [&](const torch::Tensor& xi) {
    auto prior = (3.0 * U("m1", xi) + 0.5 * U("m2", xi)) / 3.5;
    auto pulls = 3.0 * (C("m1", xi, A) - U("m1", xi)) + 0.5 * 3.0 * (C("m2", xi, B) - U("m2", xi));
    return 2.0 * (prior + pulls);
  });
}

TEST_F(SharedPrior, ASingleTermIsUnchanged) {
  Node root = Node::op(NodeKind::And, {Node::term("b", "m2", B)});
  root.shared_prior = true;
  check(root, [&](const torch::Tensor& xi) { return U("m2", xi) + 3.0 * (C("m2", xi, B) - U("m2", xi)); });
}

TEST_F(SharedPrior, NotSubtractsTheNegativePullAndKeepsThePositivePrior) {
  Node root = Node::op(NodeKind::Not, {Node::term("a", "m1", A), Node::term("b", "m2", B)});
  root.shared_prior = true;
  root.coefficient = 0.5;
  check(root, [&](const torch::Tensor& xi) {
    return U("m1", xi) + (C("m1", xi, A) - U("m1", xi)) - 0.5 * 3.0 * (C("m2", xi, B) - U("m2", xi));
  });
}

// A mask confines a term's pull, not its share of the prior: outside the mask the prior's gradient is
// the whole mean of the unconditional energies (with the masked U in it, the prior there shrank to
// the other terms' share, and denoising chains diverged — composition.cpp).
TEST_F(SharedPrior, AMaskConfinesThePullAndLeavesThePriorWhole) {
  Node root = Node::op(NodeKind::And, {Node::term("a", "m1", A), Node::term("b", "m2", B)});
  root.shared_prior = true;
  torch::Tensor m = torch::zeros({kSize, kSize});
  m.slice(0, 0, kSize / 2).fill_(1.0);  // the top half
  root.children[0].mask = m;
  const auto m4 = m.view({1, 1, kSize, kSize});
  check(root, [&](const torch::Tensor& xi) {
    const auto xm = xi * m4 + xi.detach() * (1.0 - m4);
    return 0.5 * (U("m1", xi) + U("m2", xi)) + (C("m1", xm, A) - U("m1", xm)) + 3.0 * (C("m2", xi, B) - U("m2", xi));
  });
}

TEST_F(SharedPrior, ModelsWithoutAnUnconditionalEnergyJoinWithTheirWholeEnergy) {
  Node root = Node::op(NodeKind::And, {Node::term("a", "m1", A), Node::term("p", "plain", A)});
  root.shared_prior = true;
  check(root, [&](const torch::Tensor& xi) {
    auto lab = torch::tensor(A).unsqueeze(0).expand({xi.size(0), 3});
    return U("m1", xi) + (C("m1", xi, A) - U("m1", xi)) + models.at("plain")->energy(xi, lab, {}, 0.0).reshape({-1});
  });
}

TEST_F(SharedPrior, PerTermEnergiesStayEachTermsOwnEnergy) {
  Node root = Node::op(NodeKind::And, {Node::term("a", "m1", A), Node::term("b", "m2", B)});
  root.shared_prior = true;
  CompiledComposition c(root, models, torch::kCPU, x.size(0));
  std::vector<torch::Tensor> per_term;
  torch::NoGradGuard no_grad;
  c.energy(x, {}, 0.3, &per_term);
  ASSERT_EQ(per_term.size(), 2u);
  EXPECT_TRUE(torch::allclose(per_term[0], C("m1", x, A), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(per_term[1], U("m2", x) + 3.0 * (C("m2", x, B) - U("m2", x)), 1e-5, 1e-5));
}

TEST_F(SharedPrior, TheFlagIsPartOfTheStructure) {
  Node a = Node::op(NodeKind::And, {Node::term("a", "m1", A), Node::term("b", "m2", B)});
  Node b = a;
  b.shared_prior = true;
  CompiledComposition ca(a, models, torch::kCPU, 2), cb(b, models, torch::kCPU, 2);
  EXPECT_FALSE(ca.same_structure(cb));  // a switch must recompile, not only copy values
}

TEST(SharedPriorRecipe, RoundTripsAndRefusesBadValues) {
  Node root = Node::op(NodeKind::And, {Node::term("a", "m1", A), Node::term("b", "m2", B)});
  root.shared_prior = true;
  const auto j = node_to_json(root);
  EXPECT_EQ(j.at("prior"), "shared");
  EXPECT_TRUE(node_from_json(j, "recipe.composition", nullptr).shared_prior);
  root.shared_prior = false;
  EXPECT_FALSE(node_to_json(root).contains("prior"));  // old recipes read and write as before
  auto bad = j;
  bad["prior"] = "one";
  try {
    node_from_json(bad, "recipe.composition", nullptr);
    FAIL() << "an unknown prior was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("prior"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("shared"), std::string::npos) << e.what();
  }
  Node term = Node::term("a", "m1", A);
  term.shared_prior = true;
  EXPECT_THROW(validate_structure(term), std::invalid_argument);
}

}  // namespace
}  // namespace ebm
