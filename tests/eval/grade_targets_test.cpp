// Which terms of a composition `ebm eval` grades, and how: concept from the model's schema,
// negation from the Not's negative side, clear errors for what cannot be graded.
#include "engine/eval/grade_targets.h"

#include <gtest/gtest.h>

namespace ebm::eval {
namespace {

std::shared_ptr<EnergyModel> fake(LabelSchema schema) {
  ModelInfo info;
  info.label_size = schema.size();
  info.schema = std::move(schema);
  return std::make_shared<FunctionModel>([](const torch::Tensor& x, const torch::Tensor&) { return x.sum({1, 2, 3}); },
                                         info);
}

ModelSet cubes_models() {
  return {{"pos", fake(LabelSchema::cubes_position())},
          {"size", fake(LabelSchema::cubes_size())},
          {"shape", fake(LabelSchema::cubes_shape())},
          {"color", fake(LabelSchema::cubes_color())},
          {"smile", fake(LabelSchema::celeba_attribute("smiling"))}};
}

std::vector<float> red() {
  std::vector<float> v(20, 0.f);
  v[0] = 1.f;
  return v;
}

TEST(EvalTargets, ConjunctionAndNegation) {
  auto root = Node::op(NodeKind::Not, {Node::op(NodeKind::And, {Node::term("p", "pos", {0.3f, -0.5f}),
                                                                Node::term("s", "shape", {0.f, 1.f, 0.f})}),
                                       Node::term("c", "color", red())});
  auto t = grade_targets(root, cubes_models());
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].concept, data::CubesConcept::Position);
  EXPECT_FALSE(t[0].negated);
  EXPECT_EQ(t[0].describe(), "(0.30, -0.50)");
  EXPECT_EQ(t[1].describe(), "sphere");
  EXPECT_EQ(t[2].concept, data::CubesConcept::Color);
  EXPECT_TRUE(t[2].negated);
  EXPECT_EQ(t[2].describe(), "not red");
}

TEST(EvalTargets, ACountTermAddsNoTargetOfItsOwn) {
  // The objects-found column grades "one object"; the other terms are graded as before.
  auto models = cubes_models();
  models["count"] = fake(LabelSchema::cubes_count());
  auto root = Node::op(NodeKind::And, {Node::term("p", "pos", {0.3f, -0.5f}), Node::term("n", "count", {0.f, 1.f, 0.f})});
  auto t = grade_targets(root, models);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].term, "p");
  // A composition of count terms alone has nothing else to grade, and says so.
  try {
    grade_targets(Node::term("n", "count", {0.f, 1.f, 0.f}), models);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("only count terms"), std::string::npos) << e.what();
  }
}

TEST(EvalTargets, DoubleNegationIsPositive) {
  auto inner = Node::op(NodeKind::Not, {Node::term("a", "size", {0.5f}), Node::term("c", "color", red())});
  auto root = Node::op(NodeKind::Not, {Node::term("p", "pos", {0.f, 0.f}), inner});
  auto t = grade_targets(root, cubes_models());
  ASSERT_EQ(t.size(), 3u);
  EXPECT_FALSE(t[0].negated);
  EXPECT_TRUE(t[1].negated);   // size on the outer negative side
  EXPECT_FALSE(t[2].negated);  // colour: negative side of both
}

TEST(EvalTargets, DisabledAndSoloTerms) {
  auto off = Node::term("s", "size", {0.5f});
  off.enabled = false;
  auto t = grade_targets(Node::op(NodeKind::And, {Node::term("p", "pos", {0.f, 0.f}), off}), cubes_models());
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].term, "p");

  auto solo = Node::term("s", "size", {0.5f});
  solo.solo = true;
  t = grade_targets(Node::op(NodeKind::And, {Node::term("p", "pos", {0.f, 0.f}), solo}), cubes_models());
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].term, "s");

  off = Node::term("p", "pos", {0.f, 0.f});
  off.enabled = false;
  EXPECT_THROW(grade_targets(off, cubes_models()), std::invalid_argument);
}

TEST(EvalTargets, ModelsThatAreNotCubesConceptsAreRefused) {
  try {
    grade_targets(Node::term("smile", "smile", {0.f, 1.f}), cubes_models());
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'attribute', not a cubes concept"), std::string::npos) << m;
    EXPECT_NE(m.find("smile"), std::string::npos) << m;
  }
  ModelSet bad = {{"pos", fake(LabelSchema::generic(5))}};
  EXPECT_THROW(grade_targets(Node::term("p", "pos", std::vector<float>(5, 0.f)), bad), std::invalid_argument);
  EXPECT_THROW(grade_targets(Node::term("p", "missing", {0.f, 0.f}), cubes_models()), std::invalid_argument);
}

TEST(EvalTargets, OrIsRefusedWithAnExplanation) {
  auto root = Node::op(NodeKind::Or, {Node::term("p", "pos", {0.f, 0.f}), Node::term("q", "pos", {0.5f, 0.5f})});
  try {
    grade_targets(root, cubes_models());
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("Or"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ebm::eval
