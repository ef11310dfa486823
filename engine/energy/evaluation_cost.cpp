#include "engine/energy/evaluation_cost.h"

#include <set>

namespace ebm {

namespace {

struct Count {
  int conditional = 0;
  std::set<std::string> shared_unconditional;  // models whose unconditional energy is evaluated once
  int own_unconditional = 0;                   // masked terms: their own (under one prior the whole-image
                                               // one for the prior too, shared — composition.cpp)
};

void walk(const Node& n, bool solo_mode, bool under_shared, const ModelInfoOf& info_of, Count* c) {
  if (!n.enabled) return;
  if (n.kind != NodeKind::Term) {
    const bool shared = under_shared || (n.shared_prior && (n.kind == NodeKind::And || n.kind == NodeKind::Not));
    for (const auto& child : n.children) walk(child, solo_mode, shared, info_of, c);
    return;
  }
  if (solo_mode && !n.solo) return;
  ++c->conditional;
  const auto info = info_of(n.model);
  if (!info || !info->denoising || info->label_size == 0) return;
  const double g = n.guidance.value_or(info->guidance);
  if (g == 1.0 && !under_shared) return;  // the plain conditional energy
  if (n.mask.defined()) {
    ++c->own_unconditional;
    if (under_shared) c->shared_unconditional.insert(n.model);
  } else {
    c->shared_unconditional.insert(n.model);
  }
}

}  // namespace

int evaluations_per_step(const Node& root, const ModelInfoOf& info_of) {
  Count c;
  walk(root, any_enabled_solo(root), false, info_of, &c);
  return c.conditional + c.own_unconditional + static_cast<int>(c.shared_unconditional.size());
}

}  // namespace ebm
