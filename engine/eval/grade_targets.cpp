#include "engine/eval/grade_targets.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace ebm::eval {

namespace {

bool any_solo(const Node& n) {
  if (n.kind == NodeKind::Term) return n.enabled && n.solo;
  return std::any_of(n.children.begin(), n.children.end(), [](const Node& c) { return any_solo(c); });
}

// A term of the count concept (engine/train/count_source.h) asks how many objects a scene holds; the
// grade's objects-found column reads that for every sample, so it adds no target of its own.
bool is_count_term(const Node& term, const ModelSet& models) {
  auto it = models.find(term.model);
  return it != models.end() && it->second && it->second->info().schema.concept_name == "count";
}

data::CubesConcept concept_of(const Node& term, const ModelSet& models, const std::string& path) {
  auto it = models.find(term.model);
  if (it == models.end() || !it->second)
    throw std::invalid_argument(path + ": term '" + term.name + "' uses model '" + term.model +
                                "', which the recipe does not load");
  const ModelInfo info = it->second->info();
  const std::string& name = info.schema.concept_name;
  data::CubesConcept c;
  try {
    c = data::cubes_concept_from_string(name);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument(path + ": term '" + term.name + "' uses model '" + term.model +
                                "', whose labels are '" + (name.empty() ? "unnamed" : name) +
                                "', not a cubes concept; ebm eval grades models of the cubes concepts position, "
                                "size, shape and color (trained with `ebm train --concept …`)");
  }
  if (info.label_size != data::label_size(c))
    throw std::invalid_argument(path + ": model '" + term.model + "' says it is a " + name + " model but takes " +
                                std::to_string(info.label_size) + " label values instead of " +
                                std::to_string(data::label_size(c)));
  return c;
}

void collect(const Node& n, const ModelSet& models, bool solo_only, bool negated, const std::string& path,
             std::vector<GradeTarget>* out) {
  if (!n.enabled) return;
  switch (n.kind) {
    case NodeKind::Term: {
      if (solo_only && !n.solo) return;
      if (is_count_term(n, models)) return;
      if (n.any_label) return;  // a label per sample: nothing a sample must meet
      GradeTarget t;
      t.term = n.name;
      t.model = n.model;
      t.concept = concept_of(n, models, path);
      t.label = n.label;
      t.negated = negated;
      if (static_cast<int>(t.label.size()) != data::label_size(t.concept))
        throw std::invalid_argument(path + ": term '" + n.name + "' has " + std::to_string(t.label.size()) +
                                    " label values; a " + data::to_string(t.concept) + " target needs " +
                                    std::to_string(data::label_size(t.concept)));
      out->push_back(std::move(t));
      return;
    }
    case NodeKind::And:
      for (size_t i = 0; i < n.children.size(); ++i)
        collect(n.children[i], models, solo_only, negated, path + ".children[" + std::to_string(i) + "]", out);
      return;
    case NodeKind::Not:
      // Not {a, b}: E_a − c·E_b — samples should have a's properties and not b's.
      for (size_t i = 0; i < n.children.size(); ++i)
        collect(n.children[i], models, solo_only, i == 1 ? !negated : negated,
                path + ".children[" + std::to_string(i) + "]", out);
      return;
    case NodeKind::Or:
      throw std::invalid_argument(path + ": an Or node has no single target every sample must meet; ebm eval grades "
                                  "terms, conjunctions (and) and negations (not) — evaluate each branch as its own "
                                  "recipe");
  }
}

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

}  // namespace

std::string GradeTarget::describe() const {
  std::string s;
  switch (concept) {
    case data::CubesConcept::Position: s = "(" + fmt(label.at(0)) + ", " + fmt(label.at(1)) + ")"; break;
    case data::CubesConcept::Size: s = fmt(label.at(0)); break;
    case data::CubesConcept::Shape:
    case data::CubesConcept::Color: {
      const auto schema = data::cubes_schema(concept);
      const auto k = std::max_element(label.begin(), label.end()) - label.begin();
      s = schema.slots.at(static_cast<size_t>(k)).name;
      break;
    }
  }
  return negated ? "not " + s : s;
}

std::vector<GradeTarget> grade_targets(const Node& root, const ModelSet& models) {
  std::vector<GradeTarget> out;
  collect(root, models, any_solo(root), false, "composition", &out);
  if (out.empty())
    throw std::invalid_argument("composition: no enabled term of position, size, shape or colour to grade (every term is disabled, or "
                                "only count terms are left)");
  return out;
}

}  // namespace ebm::eval
