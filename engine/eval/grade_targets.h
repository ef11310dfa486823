// What `ebm eval` grades in a composition: one GradeTarget per active Term, saying which cubes
// concept its model is (from the model's label schema), the label it asks for, and whether the term
// sits on the negative side of a Not — then the samples should NOT have that property (position ∧
// ¬red: fraction not red). Terms under And are graded together (a conjunction: every target at
// once). An Or has no single target a sample must meet, so it is refused with an explanation.
#pragma once

#include "engine/data/cubes_scene.h"
#include "engine/energy/composition.h"

#include <string>
#include <vector>

namespace ebm::eval {

struct GradeTarget {
  std::string term;           // the Term's name in the composition
  std::string model;          // its model key
  data::CubesConcept concept = data::CubesConcept::Position;
  std::vector<float> label;   // the model label of the concept ([x, y], [size], one-hot 3 / 20)
  bool negated = false;       // odd number of Not negative-sides above the term

  // "(0.30, -0.50)", "0.45", "sphere", "red"; negated targets get a leading "not ".
  std::string describe() const;
};

// The targets of the enabled (and, when any Term is solo, only the solo) Terms of `root`, depth
// first. Throws std::invalid_argument naming the term when its model is missing, is not a cubes
// concept model (schema concept position/size/shape/color with the matching label size), has no
// label, or when the tree has an Or; and when nothing is left to grade. Terms of a count model
// (schema concept "count") are left out: the grade's objects-found column is their target; so are
// terms with any label (Node::any_label: a value per sample, no target — the suite's placement).
std::vector<GradeTarget> grade_targets(const Node& root, const ModelSet& models);

}  // namespace ebm::eval
