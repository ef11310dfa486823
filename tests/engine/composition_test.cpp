#include "engine/energy/composition.h"
#include "test_energies.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>

namespace ebm {
namespace {

using test::kSize;

struct Fixture : ::testing::Test {
  ModelSet models{{"q", test::quadratic(1.0)}, {"k", test::quadratic(3.0)}, {"net", test::tiny_net()}};
  torch::Tensor x = torch::rand({4, 3, kSize, kSize});

  // Value and input gradient of the compiled tree at x.
  std::pair<torch::Tensor, torch::Tensor> eval(const Node& root, std::vector<torch::Tensor>* per_term = nullptr) {
    CompiledComposition c(root, models, torch::kCPU, x.size(0));
    auto xi = x.clone().requires_grad_(true);
    auto e = c.energy(xi, {}, 0.0, per_term);
    auto g = torch::autograd::grad({e.sum()}, {xi})[0];
    return {e.detach(), g};
  }
  // The explicit formula, evaluated with plain autograd.
  std::pair<torch::Tensor, torch::Tensor> expect(const std::function<torch::Tensor(const torch::Tensor&)>& f) {
    auto xi = x.clone().requires_grad_(true);
    auto e = f(xi);
    auto g = torch::autograd::grad({e.sum()}, {xi})[0];
    return {e.detach(), g};
  }
  torch::Tensor E(const std::string& m, const torch::Tensor& xi, std::vector<float> l) {
    auto lab = torch::tensor(l).unsqueeze(0).expand({xi.size(0), static_cast<int64_t>(l.size())});
    return models.at(m)->energy(xi, lab, {}, 0.0).reshape({-1});
  }
  void check(const Node& root, const std::function<torch::Tensor(const torch::Tensor&)>& f) {
    auto [e, g] = eval(root);
    auto [e2, g2] = expect(f);
    EXPECT_TRUE(torch::allclose(e, e2, 1e-5, 1e-5)) << e << e2;
    EXPECT_TRUE(torch::allclose(g, g2, 1e-5, 1e-6));
  }
};

const std::vector<float> A{0.1f, 0.2f, 0.3f}, B{0.9f, 0.8f, 0.7f}, P{0.5f, -0.5f};

TEST_F(Fixture, AndIsTheWeightedSum) {
  Node root = Node::op(NodeKind::And, {Node::term("a", "q", A, 2.0), Node::term("b", "k", B, 0.5)});
  check(root, [&](const torch::Tensor& xi) { return 2.0 * E("q", xi, A) + 0.5 * E("k", xi, B); });
}

TEST_F(Fixture, OrIsSoftMin) {
  Node root = Node::op(NodeKind::Or, {Node::term("a", "q", A), Node::term("b", "net", P)});
  root.temperature = 7.0;
  check(root, [&](const torch::Tensor& xi) {
    auto es = torch::stack({E("q", xi, A), E("net", xi, P)}, 1);
    return -torch::logsumexp(-7.0 * es, 1) / 7.0;
  });
}

TEST_F(Fixture, NotSubtractsAScaledEnergy) {
  Node root = Node::op(NodeKind::Not, {Node::term("a", "net", P), Node::term("b", "q", B)});
  root.coefficient = 0.25;
  check(root, [&](const torch::Tensor& xi) { return E("net", xi, P) - 0.25 * E("q", xi, B); });
  EXPECT_EQ(Node::op(NodeKind::Not, {}).coefficient, 0.001);
  EXPECT_EQ(Node::op(NodeKind::Or, {}).temperature, 100.0);
}

TEST_F(Fixture, NestedTreesAndPerTermEnergies) {
  // (a ∧ b) ∨ ¬(c, d), weighted, as in the original's or_figure (without its overwrite bug).
  Node left = Node::op(NodeKind::And, {Node::term("a", "q", A), Node::term("b", "net", P, 1.5)});
  Node right = Node::op(NodeKind::Not, {Node::term("c", "k", B), Node::term("d", "q", B)});
  right.weight = 0.7;
  Node root = Node::op(NodeKind::Or, {left, right});
  root.weight = 2.0;
  check(root, [&](const torch::Tensor& xi) {
    auto l = E("q", xi, A) + 1.5 * E("net", xi, P);
    auto r = 0.7 * (E("k", xi, B) - 0.001 * E("q", xi, B));
    return 2.0 * -torch::logsumexp(-100.0 * torch::stack({l, r}, 1), 1) / 100.0;
  });
  std::vector<torch::Tensor> per;
  eval(root, &per);
  ASSERT_EQ(per.size(), 4u);
  auto xi = x.clone();
  EXPECT_TRUE(torch::allclose(per[1], E("net", xi, P).detach()));  // raw, unweighted
  EXPECT_TRUE(torch::allclose(per[2], E("k", xi, B).detach()));
}

TEST_F(Fixture, DisabledAndSoloTermsArePruned) {
  Node root = Node::op(NodeKind::And, {Node::term("a", "q", A), Node::term("b", "k", B), Node::term("c", "net", P)});
  root.children[1].enabled = false;
  check(root, [&](const torch::Tensor& xi) { return E("q", xi, A) + E("net", xi, P); });
  root.children[2].solo = true;
  check(root, [&](const torch::Tensor& xi) { return E("net", xi, P); });
  std::vector<torch::Tensor> per;
  eval(root, &per);
  EXPECT_FALSE(per[0].defined());
  EXPECT_TRUE(per[2].defined());
  // Not without its positive part keeps −c·E_b.
  Node n = Node::op(NodeKind::Not, {Node::term("a", "q", A), Node::term("b", "k", B)});
  n.children[0].enabled = false;
  check(n, [&](const torch::Tensor& xi) { return -0.001 * E("k", xi, B); });
}

TEST_F(Fixture, MaskWeightsTheTermGradient) {
  auto mask = torch::zeros({kSize, kSize});
  mask.slice(1, 0, kSize / 2).fill_(1.0);        // left half fully on
  mask.slice(1, kSize / 2, kSize / 2 + 1).fill_(0.5);
  Node t = Node::term("a", "net", P);
  t.mask = mask;
  auto [e, g] = eval(t);
  auto [e0, g0] = expect([&](const torch::Tensor& xi) { return E("net", xi, P); });
  EXPECT_TRUE(torch::allclose(e, e0));  // the value is unchanged
  auto m = mask.view({1, 1, kSize, kSize});
  EXPECT_TRUE(torch::allclose(g, g0 * m, 1e-6, 1e-7));
  EXPECT_EQ(g.slice(3, kSize / 2 + 1).abs().max().item<float>(), 0.f);  // nothing outside the mask
  // A masked term next to an unmasked one: only the masked term's gradient is cut.
  Node root = Node::op(NodeKind::And, {t, Node::term("b", "q", A)});
  auto [e2, g2] = eval(root);
  auto [eq, gq] = expect([&](const torch::Tensor& xi) { return E("q", xi, A); });
  EXPECT_TRUE(torch::allclose(g2, g0 * m + gq, 1e-5, 1e-6));
}

// A conditional "denoising" model: E(x | c) = ½‖x − c‖², unconditional (no label) E(x) = ½·0.5‖x‖².
std::shared_ptr<EnergyModel> guided_toy(double recommended) {
  ModelInfo info;
  info.image_size = test::kSize;
  info.label_size = 3;
  info.denoising = true;
  info.guidance = recommended;
  info.schema = LabelSchema::generic(3);
  return std::make_shared<FunctionModel>(
      [](const torch::Tensor& x, const torch::Tensor& label) {
        if (!label.defined()) return 0.25 * x.square().flatten(1).sum(1);
        auto c = label.view({label.size(0), 3, 1, 1});
        return 0.5 * (x - c).square().flatten(1).sum(1);
      },
      info);
}

TEST_F(Fixture, GuidanceMovesFromTheUnconditionalEnergyPastTheConditionalOne) {
  models["d"] = guided_toy(4.0);
  auto uncond = [](const torch::Tensor& xi) { return 0.25 * xi.square().flatten(1).sum(1); };
  auto cond = [&](const torch::Tensor& xi) {
    auto c = torch::tensor(A).view({1, 3, 1, 1});
    return 0.5 * (xi - c).square().flatten(1).sum(1);
  };
  // The recipe's value wins; unset, the model's recommended guidance (4) applies.
  Node t = Node::term("a", "d", A, 2.0);
  t.guidance = 2.5;
  check(t, [&](const torch::Tensor& xi) { return 2.0 * (uncond(xi) + 2.5 * (cond(xi) - uncond(xi))); });
  t.guidance.reset();
  check(t, [&](const torch::Tensor& xi) { return 2.0 * (uncond(xi) + 4.0 * (cond(xi) - uncond(xi))); });
  t.guidance = 1.0;
  check(t, [&](const torch::Tensor& xi) { return 2.0 * cond(xi); });
  // Models without an unconditional energy refuse guidance, naming the term and the fix.
  Node q = Node::term("q1", "q", A);
  q.guidance = 3.0;
  try {
    CompiledComposition c(q, models, torch::kCPU, 2);
    FAIL() << "guidance on a non-denoising model was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("leave guidance at 1"), std::string::npos) << e.what();
  }
  q.guidance = -1.0;
  EXPECT_THROW(validate_structure(q), std::invalid_argument);
}

TEST_F(Fixture, GuidanceAppliesOnlyInsideItsNoiseInterval) {
  models["d"] = guided_toy(4.0);
  const auto x = torch::rand({2, 3, test::kSize, test::kSize});
  auto uncond = 0.25 * x.square().flatten(1).sum(1);
  auto cond = 0.5 * (x - torch::tensor(A).view({1, 3, 1, 1})).square().flatten(1).sum(1);
  auto guided = uncond + 4.0 * (cond - uncond);
  Node t = Node::term("a", "d", A);
  t.guidance_interval = GuidanceInterval{0.2, 0.5};
  CompiledComposition c(t, models, torch::kCPU, 2);
  auto at = [&](double sigma) { return c.energy(x, {}, sigma, nullptr); };
  // Inside [0.2, 0.5] (ends included) the guided energy; outside, the plain conditional one.
  EXPECT_TRUE(torch::allclose(at(0.2), guided, 1e-5, 1e-4));
  EXPECT_TRUE(torch::allclose(at(0.35), guided, 1e-5, 1e-4));
  EXPECT_TRUE(torch::allclose(at(0.5), guided, 1e-5, 1e-4));
  EXPECT_TRUE(torch::allclose(at(0.1), cond, 1e-5, 1e-4));
  EXPECT_TRUE(torch::allclose(at(0.9), cond, 1e-5, 1e-4));

  // Unset, the model's recommended interval applies; its default is every σ.
  t.guidance_interval.reset();
  CompiledComposition everywhere(t, models, torch::kCPU, 2);
  EXPECT_TRUE(torch::allclose(everywhere.energy(x, {}, 0.9, nullptr), guided, 1e-5, 1e-4));
  ModelInfo info = models["d"]->info();
  EXPECT_TRUE(info.guidance_interval.everywhere());

  // Another interval is an edit of values alone: a captured step would replay it without re-capture.
  t.guidance_interval = GuidanceInterval{0.0, 0.3};
  CompiledComposition edited(t, models, torch::kCPU, 2);
  ASSERT_TRUE(c.same_structure(edited));
  c.assign_values(edited);
  EXPECT_TRUE(torch::allclose(at(0.35), cond, 1e-5, 1e-4));
  EXPECT_TRUE(torch::allclose(at(0.25), guided, 1e-5, 1e-4));

  t.guidance_interval = GuidanceInterval{0.5, 0.2};
  try {
    validate_structure(t);
    FAIL() << "an interval with hi < lo was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("composition.guidance_interval"), std::string::npos) << e.what();
  }
}

TEST(GuidanceInterval, ParsesPrintsAndRefusesWithReasons) {
  EXPECT_EQ(parse_guidance_interval("0,0.5"), (GuidanceInterval{0.0, 0.5}));
  const GuidanceInterval open = parse_guidance_interval("0.3,inf");
  EXPECT_EQ(open.lo, 0.3);
  EXPECT_TRUE(std::isinf(open.hi));
  EXPECT_EQ(to_string(open), "[0.3, inf]");
  EXPECT_TRUE(GuidanceInterval{}.everywhere());
  EXPECT_FALSE(open.everywhere());
  // JSON: hi null for no upper end, and back.
  EXPECT_EQ(guidance_interval_to_json(open).dump(), "[0.3,null]");
  EXPECT_EQ(guidance_interval_from_json(nlohmann::json::parse("[0.3,null]")), open);
  EXPECT_EQ(guidance_interval_from_json(nlohmann::json::parse("[0,1.5]")), (GuidanceInterval{0.0, 1.5}));
  auto refused = [](const std::function<void()>& f, const std::string& needle) {
    try {
      f();
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  refused([] { parse_guidance_interval("0.5"); }, "write LO,HI");
  refused([] { parse_guidance_interval("0,x"); }, "'x' is not a number");
  refused([] { parse_guidance_interval("0.5,0.2"); }, "upper end");
  refused([] { parse_guidance_interval("-1,2"); }, "lower end");
  refused([] { guidance_interval_from_json(nlohmann::json::parse("[1]")); }, "must be [lo, hi]");
  refused([] { guidance_interval_from_json(nlohmann::json::parse("[\"0\", 1]")); }, "must be [lo, hi]");
}

TEST_F(Fixture, StructuralErrorsNameTheNode) {
  auto expect_error = [&](const Node& n, const std::string& needle) {
    try {
      CompiledComposition c(n, models, torch::kCPU, 2);
      FAIL() << "accepted: " << needle;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error(Node::term("a", "missing", A), "not loaded");
  expect_error(Node::term("a", "q", {0.1f}), "takes 3 label values");
  expect_error(Node::term("a", "q", {0.1f, NAN, 0.2f}), "composition.label[1]");
  expect_error(Node::op(NodeKind::Not, {Node::term("a", "q", A)}), "children");
  Node dup = Node::op(NodeKind::And, {Node::term("a", "q", A), Node::term("a", "k", A)});
  expect_error(dup, "used twice");
  Node bad_t = Node::op(NodeKind::Or, {Node::term("a", "q", A)});
  bad_t.temperature = 0;
  expect_error(bad_t, "composition.temperature");
  Node bad_mask = Node::term("a", "q", A);
  bad_mask.mask = torch::full({4, 4}, 2.0f);
  expect_error(bad_mask, "composition.mask");
  ModelInfo other;
  other.image_size = 16;
  models["big"] = std::make_shared<FunctionModel>([](const torch::Tensor& xx, const torch::Tensor&) { return xx.sum(); }, other);
  expect_error(Node::op(NodeKind::And, {Node::term("a", "q", A), Node::term("b", "big")}), "different image shapes");
}

}  // namespace
}  // namespace ebm
