// The guidance a term takes when it names none (guidance_rule.h): its model's, capped at 3 where three
// or more guided terms pull around one prior — not for a chain that starts from an image.
#include "engine/energy/composition.h"
#include "engine/energy/guidance_rule.h"
#include "engine/sampling/sampler.h"
#include "test_energies.h"

#include <gtest/gtest.h>

namespace ebm {
namespace {

using test::kSize;

// A conditional denoising toy recommending `guidance` (test_energies.h).
std::shared_ptr<EnergyModel> guided(double guidance) { return test::conditional_denoiser(1.0, 1.0, guidance); }

const std::vector<float> L{0.2f, 0.4f, 0.6f};

struct GuidanceRule : ::testing::Test {
  ModelSet models{{"six", guided(6.0)}, {"two", guided(2.0)}, {"plain", test::quadratic(1.0)}};
  ModelInfoOf info_of = [this](const std::string& m) -> std::optional<ModelInfo> {
    const auto it = models.find(m);
    if (it == models.end()) return std::nullopt;
    return it->second->info();
  };

  static Node one_prior(std::vector<Node> children) {
    Node n = Node::op(NodeKind::And, std::move(children));
    n.shared_prior = true;
    return n;
  }
  static Node t(const std::string& name, const std::string& model) {
    return Node::term(name, model, model == "plain" ? std::vector<float>{} : L);
  }
  std::vector<double> compiled_guidance(const Node& root, GuidanceDefaults d = GuidanceDefaults::CapCrowded) {
    CompiledComposition c(root, models, torch::kCPU, 2, d);
    std::vector<double> g;
    for (const auto& term : c.terms()) g.push_back(term.guidance);
    return g;
  }
};

TEST_F(GuidanceRule, ThreeGuidedTermsAroundOnePriorAreCappedTwoAreNot) {
  const Node three = one_prior({t("a", "six"), t("b", "six"), t("c", "six")});
  EXPECT_EQ(crowded_terms(three, info_of), (std::set<NodePath>{{0}, {1}, {2}}));
  EXPECT_EQ(compiled_guidance(three), (std::vector<double>{3.0, 3.0, 3.0}));
  EXPECT_EQ(capped_term_names(three, info_of, GuidanceDefaults::CapCrowded), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(capped_term_names(three, info_of, GuidanceDefaults::ModelValues).empty());
  const Node two = one_prior({t("a", "six"), t("b", "six")});
  EXPECT_TRUE(crowded_terms(two, info_of).empty());
  EXPECT_EQ(compiled_guidance(two), (std::vector<double>{6.0, 6.0}));
}

TEST_F(GuidanceRule, SummedTermsKeepTheirModelsGuidance) {
  Node summed = one_prior({t("a", "six"), t("b", "six"), t("c", "six")});
  summed.shared_prior = false;  // each term with its own prior: no pull shares one
  EXPECT_TRUE(crowded_terms(summed, info_of).empty());
  EXPECT_EQ(compiled_guidance(summed), (std::vector<double>{6.0, 6.0, 6.0}));
}

TEST_F(GuidanceRule, ALighterPullKeepsEveryValueANamedGuidanceIsKept) {
  // With a term pulling below the cap (colour's 2) the group keeps its values: the heavier terms
  // capped lost objects there.
  Node root = one_prior({t("a", "six"), t("b", "two"), t("c", "six")});
  EXPECT_TRUE(crowded_terms(root, info_of).empty());
  EXPECT_EQ(compiled_guidance(root), (std::vector<double>{6.0, 2.0, 6.0}));
  root.children[1].guidance = 4.0;  // named above the cap: the group is capped, the named value kept
  root.children[2].guidance = 9.0;
  EXPECT_EQ(crowded_terms(root, info_of).size(), 3u);
  EXPECT_EQ(compiled_guidance(root), (std::vector<double>{3.0, 4.0, 9.0}));
  EXPECT_EQ(capped_term_names(root, info_of, GuidanceDefaults::CapCrowded), (std::vector<std::string>{"a"}));
  EXPECT_DOUBLE_EQ(term_guidance(root.children[0], 6.0, true), 3.0);
  EXPECT_DOUBLE_EQ(term_guidance(root.children[0], 6.0, false), 6.0);
  EXPECT_DOUBLE_EQ(term_guidance(root.children[2], 6.0, true), 9.0);
}

TEST_F(GuidanceRule, OnlyTermsThatPullCount) {
  // A term at guidance 1 (named), a model without a label and a disabled term do not pull.
  Node root = one_prior({t("a", "six"), t("b", "six"), t("p", "plain"), t("c", "six"), t("d", "six")});
  root.children[3].guidance = 1.0;
  root.children[4].enabled = false;
  EXPECT_TRUE(crowded_terms(root, info_of).empty());
  root.children[4].enabled = true;
  EXPECT_EQ(crowded_terms(root, info_of), (std::set<NodePath>{{0}, {1}, {4}}));
  // Solo mode: only the solo terms are sampled, so only they count.
  root.children[0].solo = true;
  root.children[1].solo = true;
  EXPECT_TRUE(crowded_terms(root, info_of).empty());
}

TEST_F(GuidanceRule, ANegatedTermNeitherCountsNorIsCappedNestedOnePriorNodesJoinTheirParent) {
  Node neg = Node::op(NodeKind::Not, {one_prior({t("a", "six"), t("b", "six")}), t("n", "six")});
  neg.shared_prior = true;
  EXPECT_TRUE(crowded_terms(neg, info_of).empty());  // two pull, the negated one pushes
  Node more = Node::op(NodeKind::Not, {one_prior({t("a", "six"), t("b", "six"), t("c", "six")}), t("n", "six")});
  more.shared_prior = true;
  EXPECT_EQ(crowded_terms(more, info_of), (std::set<NodePath>{{0, 0}, {0, 1}, {0, 2}}));
  EXPECT_EQ(compiled_guidance(more), (std::vector<double>{3.0, 3.0, 3.0, 6.0}));
  // An operator without the flag beneath one prior sums its terms, each with its own prior.
  Node summed_inside = Node::op(NodeKind::And, {t("b", "six"), t("c", "six")});
  const Node outer = one_prior({t("a", "six"), summed_inside});
  EXPECT_TRUE(crowded_terms(outer, info_of).empty());
}

TEST_F(GuidanceRule, ModelValuesTurnsTheCapOff) {
  const Node three = one_prior({t("a", "six"), t("b", "six"), t("c", "six")});
  EXPECT_TRUE(crowded_terms(three, info_of, GuidanceDefaults::ModelValues).empty());
  EXPECT_EQ(compiled_guidance(three, GuidanceDefaults::ModelValues), (std::vector<double>{6.0, 6.0, 6.0}));
}

TEST_F(GuidanceRule, TheSamplerCapsFromNoiseAndKeepsTheModelsValuesFromAnImage) {
  Sampler s;
  s.set_models(models);
  s.set_composition(one_prior({t("a", "six"), t("b", "six"), t("c", "six")}));
  SamplerParams p;
  p.batch = 2;
  p.init = InitMode::Noise;
  s.set_params(p);
  EXPECT_EQ(s.guidance_defaults(), GuidanceDefaults::CapCrowded);
  EXPECT_DOUBLE_EQ(s.compiled().terms()[0].guidance, 3.0);
  p.init = InitMode::Image;
  p.init_image = torch::full({3, kSize, kSize}, 0.5f);
  s.set_params(p);
  s.start();  // the edit's chain
  EXPECT_EQ(s.guidance_defaults(), GuidanceDefaults::ModelValues);
  EXPECT_DOUBLE_EQ(s.compiled().terms()[0].guidance, 6.0);
  // A composition edit while that chain runs keeps its rule.
  s.set_composition(one_prior({t("a", "six"), t("b", "six"), t("c", "six"), t("d", "six")}));
  EXPECT_DOUBLE_EQ(s.compiled().terms()[3].guidance, 6.0);
}

}  // namespace
}  // namespace ebm
