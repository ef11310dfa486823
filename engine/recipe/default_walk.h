// The walk a composition is sampled on when the user names none — `--quality auto`, the default of
// `ebm sample` and `ebm eval` (recipe and suite alike; issues #26 and #28):
//   around one prior (an And or Not with "prior": "shared" anywhere in it) → the quick walk (39 steps);
//   otherwise → the final 400-step ladder.
// Why by the rule: graded on every suite case on both splits (H200, n = 256, 2026-12-06 seventh
// sitting; assets/models/MODEL_CARD.md), the quick walk beat the ladder on every composition around
// one prior — colour 100 against 95.8 % all-met held out, position ∧ colour 98.0 against 95.8, shape ∧
// colour 98.4 against 84.4, position ∧ shape ∧ colour 98.8 against 98.4, the four concepts 86.7
// against 77.6 — and lost 2–5 points on the summed ones (position ∧ size, position ∧ ¬colour, placed
// size and shape), which keep the ladder. One rule, so a recipe samples as the suite graded its case.
#pragma once

#include "engine/energy/node.h"
#include "engine/sampling/schedule.h"

#include <string>

namespace ebm {

// Whether some And or Not of `composition` composes its terms around one prior (Node::shared_prior).
bool composes_around_one_prior(const Node& composition);

// quick_ladder() for a composition around one prior, final_ladder() otherwise.
LadderOptions default_walk(const Node& composition);

// "quick" or "final": the name of default_walk(composition) (for what a command prints and records).
std::string default_walk_name(const Node& composition);

}  // namespace ebm
