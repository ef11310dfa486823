#include "engine/recipe/default_walk.h"

#include "engine/sampling/walk_presets.h"

#include <algorithm>

namespace ebm {

bool composes_around_one_prior(const Node& n) {
  if (n.shared_prior && (n.kind == NodeKind::And || n.kind == NodeKind::Not)) return true;
  return std::any_of(n.children.begin(), n.children.end(), [](const Node& c) { return composes_around_one_prior(c); });
}

LadderOptions default_walk(const Node& composition) {
  return composes_around_one_prior(composition) ? quick_ladder() : final_ladder();
}

std::string default_walk_name(const Node& composition) {
  return composes_around_one_prior(composition) ? "quick" : "final";
}

}  // namespace ebm
