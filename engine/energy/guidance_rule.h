// The guidance a term is sampled at when it names none of its own (issue #28): its model's recommended
// value — except where three or more guided terms pull around one prior, none of them lighter than 3,
// where each takes at most 3.
// Why: composed around one prior (node.h), every guided term adds its pull g·(E(x|c) − E(x)) to the
// same single prior, so position ∧ size ∧ shape at the cubes files' 6 pulls with 18 against one prior
// and draws the large sizes as two objects. On eight large labels of our own (2-core CPU, quick walk,
// 8 samples each, 2026-12-07) every target was met in 20 % at 6, 45 % at 4, 67 % at 3 (two objects
// 58 → 5 %), 52 % at 2 (objects lost); on the tune split's labels 3 keeps what 6 gave (97 %, n = 32).
// A lighter term among the pulls changes that: with colour (its file recommends 2) position ∧ shape ∧
// colour and the four concepts compose well at the files' values and lose objects with the others
// capped (same CPU, tune split, n = 32: 97 → 84 % and 84 → 66 % all met, objects found 100 → 88 / 78 %),
// so a group with a pull below the cap keeps every value. Two terms keep their models' values too, and
// so do terms summed each with its own prior. assets/models/MODEL_CARD.md, "2026-12-07 (ninth
// session)", has the figures. A term that names its guidance keeps it.
#pragma once

#include "engine/energy/evaluation_cost.h"
#include "engine/energy/node.h"

#include <set>
#include <string>
#include <vector>

namespace ebm {

// Whether the cap applies. A chain that starts from an image (an edit, SDEdit) keeps the models'
// values: there the unchanged terms must outweigh what the noised image still shows, and 64 colour
// edits of the four concepts (2-core CPU, quick walk, σ 0.8, colour pulled at 6) kept every target in
// 45 % with the others at their files' 6 and in 30 % at 3 (same file as above).
enum class GuidanceDefaults { CapCrowded, ModelValues };

constexpr int kCrowdedPulls = 3;          // guided terms around one prior from which the cap applies
constexpr double kCrowdedGuidance = 3.0;  // the cap

// Terms (by path) that pull around one prior beside kCrowdedPulls − 1 or more other guided terms, none
// of the group below kCrowdedGuidance: the enabled terms (only the solo ones when any is solo) of conditional denoising models whose
// guidance — their own or their model's — is not 1, directly under the outermost And or Not with one
// prior or under one-prior nodes beneath it (composition.cpp merges their pulls; an operator without
// the flag sums its terms each with its own prior, so they do not pull there). A Not's negative side
// is neither counted nor capped: it pushes away with 0.001 of its pull.
std::set<NodePath> crowded_terms(const Node& root, const ModelInfoOf& info_of);

// crowded_terms(), or none under GuidanceDefaults::ModelValues.
std::set<NodePath> crowded_terms(const Node& root, const ModelInfoOf& info_of, GuidanceDefaults defaults);

// Names of the terms whose guidance the rule lowers (crowded, naming none, their model recommending
// more than the cap), in depth-first order: what `ebm sample` tells the user.
std::vector<std::string> capped_term_names(const Node& root, const ModelInfoOf& info_of, GuidanceDefaults defaults);

// The guidance a term that names none is sampled at: its model's `model_guidance`, capped at
// kCrowdedGuidance when `crowded` (what the studio's slider shows for it).
double default_term_guidance(double model_guidance, bool crowded);

// The guidance `term` is sampled at: its own, else default_term_guidance().
double term_guidance(const Node& term, double model_guidance, bool crowded);

}  // namespace ebm
