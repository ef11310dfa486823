#include "engine/energy/guidance_rule.h"

#include <algorithm>
#include <vector>

namespace ebm {

namespace {

bool one_prior_node(const Node& n) { return n.shared_prior && (n.kind == NodeKind::And || n.kind == NodeKind::Not); }

void groups(const Node& n, const NodePath& at, bool solo_mode, const ModelInfoOf& info_of, std::set<NodePath>* out);

NodePath child_path(const NodePath& at, size_t i) {
  NodePath child = at;
  child.push_back(static_cast<int>(i));
  return child;
}

// The guided terms that pull around the one prior of `n` (a one-prior node at `at`): its terms, and
// those of the one-prior nodes beneath it (composition.cpp merges their parts into n's). An operator
// beneath it without the flag sums its terms each with its own prior — none of them pulls here — but
// may hold a group of its own.
void pulls(const Node& n, const NodePath& at, bool solo_mode, const ModelInfoOf& info_of,
           std::vector<NodePath>* group, bool* light, std::set<NodePath>* out) {
  // A Not's negative side (its second child, when it has two) pushes away with its small coefficient.
  const size_t counted = n.kind == NodeKind::Not && n.children.size() == 2 ? 1 : n.children.size();
  for (size_t i = 0; i < counted; ++i) {
    const Node& c = n.children[i];
    if (!c.enabled) continue;
    if (c.kind != NodeKind::Term) {
      if (one_prior_node(c)) pulls(c, child_path(at, i), solo_mode, info_of, group, light, out);
      else groups(c, child_path(at, i), solo_mode, info_of, out);
      continue;
    }
    if (solo_mode && !c.solo) continue;
    const auto info = info_of(c.model);
    if (!info || !info->denoising || info->label_size == 0) continue;
    const double g = c.guidance.value_or(info->guidance);
    if (g == 1.0) continue;
    group->push_back(child_path(at, i));
    if (g < kCrowdedGuidance) *light = true;
  }
}

void groups(const Node& n, const NodePath& at, bool solo_mode, const ModelInfoOf& info_of, std::set<NodePath>* out) {
  if (!n.enabled || n.kind == NodeKind::Term) return;
  if (one_prior_node(n)) {  // the outermost one-prior node: every pull beneath it is in its group
    std::vector<NodePath> group;
    bool light = false;  // a term pulling below the cap (guidance_rule.h: then the group keeps its values)
    pulls(n, at, solo_mode, info_of, &group, &light, out);
    if (static_cast<int>(group.size()) >= kCrowdedPulls && !light) out->insert(group.begin(), group.end());
    return;
  }
  for (size_t i = 0; i < n.children.size(); ++i) groups(n.children[i], child_path(at, i), solo_mode, info_of, out);
}

}  // namespace

std::set<NodePath> crowded_terms(const Node& root, const ModelInfoOf& info_of) {
  std::set<NodePath> out;
  groups(root, {}, any_enabled_solo(root), info_of, &out);
  return out;
}

std::set<NodePath> crowded_terms(const Node& root, const ModelInfoOf& info_of, GuidanceDefaults defaults) {
  return defaults == GuidanceDefaults::CapCrowded ? crowded_terms(root, info_of) : std::set<NodePath>{};
}

std::vector<std::string> capped_term_names(const Node& root, const ModelInfoOf& info_of, GuidanceDefaults defaults) {
  std::vector<std::string> names;
  for (const NodePath& path : crowded_terms(root, info_of, defaults)) {
    const Node& t = node_at(root, path);
    const auto info = info_of(t.model);
    if (!t.guidance && info && info->guidance > kCrowdedGuidance) names.push_back(t.name);
  }
  return names;
}

double default_term_guidance(double model_guidance, bool crowded) {
  return crowded ? std::min(model_guidance, kCrowdedGuidance) : model_guidance;
}

double term_guidance(const Node& term, double model_guidance, bool crowded) {
  return term.guidance ? *term.guidance : default_term_guidance(model_guidance, crowded);
}

}  // namespace ebm
