// The walk a composition gets when none is named (engine/recipe/default_walk.h): quick around one
// prior anywhere in the tree, the final ladder otherwise.
#include "engine/recipe/default_walk.h"
#include "engine/sampling/walk_presets.h"

#include <gtest/gtest.h>

namespace ebm {
namespace {

Node term(const char* name) { return Node::term(name, name, {0.f}); }

TEST(DefaultWalk, OnePriorAnywhereInTheTreeChoosesTheQuickWalk) {
  EXPECT_FALSE(composes_around_one_prior(term("a")));
  Node summed = Node::op(NodeKind::And, {term("a"), term("b")});
  EXPECT_FALSE(composes_around_one_prior(summed));
  EXPECT_EQ(quality_of(default_walk(summed)), "final");
  EXPECT_EQ(default_walk_name(summed), "final");

  Node shared = summed;
  shared.shared_prior = true;
  EXPECT_TRUE(composes_around_one_prior(shared));
  EXPECT_EQ(quality_of(default_walk(shared)), "quick");
  EXPECT_EQ(default_walk_name(shared), "quick");

  // Deep in the tree: a negation whose positive side is an And around one prior.
  Node negation = Node::op(NodeKind::Not, {shared, term("c")});
  EXPECT_TRUE(composes_around_one_prior(negation));
  EXPECT_EQ(quality_of(default_walk(negation)), "quick");
  // A Not around one prior itself.
  Node shared_not = Node::op(NodeKind::Not, {term("a"), term("c")});
  shared_not.shared_prior = true;
  EXPECT_TRUE(composes_around_one_prior(shared_not));
  // The flag on a term means nothing (Node validation refuses it); it does not choose the walk.
  Node flagged = term("a");
  flagged.shared_prior = true;
  EXPECT_FALSE(composes_around_one_prior(flagged));
}

}  // namespace
}  // namespace ebm
