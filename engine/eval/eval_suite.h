// The standard evaluation set (issues #10, #28), built from whichever concept models exist in a
// directory: each single concept, the conjunctions position∧size, position∧shape, position∧colour,
// shape∧colour, the negations position∧¬colour and shape∧¬colour, the three-concept conjunctions
// position∧size∧shape and position∧shape∧colour, and the paper's four-concept position∧size∧shape∧
// colour — each with several target labels drawn from a seed (the cubes scene distribution: x, y ~
// U(−1, 1), size ~ U(0.3, 0.7), uniform shape and colour). A case whose models are missing is
// skipped (and listed).
//
// Two fixed seed pairs (SuiteSplit): "tune" is where guidance, schedules and checkpoints are
// chosen; "heldout" draws other target labels and other chains and is never tuned on — the model
// card reports both side by side.
#pragma once

#include "engine/data/cubes_scene.h"
#include "engine/recipe/recipe.h"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ebm::eval {

// Where shipped models live, first existing directory wins: $EBM_STUDIO_MODELS, <exe>/../share/
// ebm-studio/models, then the source tree's assets/models (`assets_dir`, compiled in) — the places
// the studio looks (find_shipped_dir, engine/recipe/model_search.h). Returns an empty path when none exists.
std::filesystem::path find_models_dir(const std::string& exe_path, const std::string& assets_dir);

// <dir>/<concept>.safetensors for each concept whose file exists (position, size, shape, color).
std::vector<std::pair<data::CubesConcept, std::filesystem::path>> concept_model_files(const std::filesystem::path& dir);

struct SuiteCase {
  std::string name;                        // "position", "position+size", "position+not color"
  std::vector<data::CubesConcept> concepts;
  bool negate_last = false;                // the last concept is negated (position ∧ ¬colour)
};
// The standard cases, in the order of the table.
std::vector<SuiteCase> standard_cases();

// The rule a case composes by when none is asked for (`ebm eval --suite --prior auto`, the default):
// around one prior when it ANDs a colour term — as the studio composes colour, and as the tune split
// chose for every such case (colour composes far better so: position ∧ colour all-met 93 % against
// 75 % summed, shape ∧ colour 84 % against 13 %; assets/models/MODEL_CARD.md) — or three concepts or
// more (position ∧ size ∧ shape: summed, three priors leave empty floors, 71 % on the tune split; around
// one prior its three pulls take guidance 3 by the engine's rule, engine/energy/guidance_rule.h, and
// its large sizes come out as one object), and summed otherwise, the negations of colour included
// (position ∧ ¬colour and shape ∧ ¬colour graded best summed).
bool one_prior_by_rule(const SuiteCase& c);

enum class SuiteSplit { Tune, Heldout };
std::string to_string(SuiteSplit s);                  // "tune" | "heldout"
SuiteSplit suite_split_from_string(const std::string& s);  // throws std::invalid_argument
struct SuiteSeeds {
  uint64_t label_seed = 0, seed = 0;
};
SuiteSeeds suite_seeds(SuiteSplit s);  // tune: (0, 0); heldout: (7919, 104729)

struct SuiteRecipe {
  std::string case_name;
  int label_index = 0;  // which of the case's target labels
  Recipe recipe;
};

struct SuiteOptions {
  int labels_per_case = 16;       // target labels drawn per case
  uint64_t label_seed = 0;        // seed of the target labels
  uint64_t seed = 0;              // the sampler's seed
  std::string device = "cpu";
  double not_coefficient = 0.001; // c of the negation's Not (the composition's default)
  std::optional<double> guidance; // every term's classifier-free guidance (unset: each model's own)
  std::optional<GuidanceInterval> guidance_interval;  // and the σ where it applies (unset: each model's own)
  // Per concept, in every case that holds it (`--concept-weight size=1.5`, `--concept-guidance size=9`):
  // the term's weight (default 1) and guidance (before `guidance`). For A/B runs of one concept's pull
  // inside compositions — e.g. whether a heavier size term draws the large objects position ∧ size ∧
  // shape misses.
  std::map<data::CubesConcept, double> concept_weight, concept_guidance;
  // The cases' And/Not compose around one prior (true) or sum their terms' energies (false); unset:
  // case by case (one_prior_by_rule), the rule the model card grades each case on.
  std::optional<bool> shared_prior;
  // The count model (engine/train/count_source.h) ANDed into every case with the label "one object"
  // (term "count", on the positive side of a negation), at this guidance; empty: no count term.
  std::filesystem::path count_model;
  std::optional<double> count_guidance;  // unset: the count model's own
  // Placement (`ebm eval --suite --place`): a case without a position concept gets a position term
  // ("place") with any label (Node::any_label) — each sample a position of its own, drawn uniformly
  // over [−1, 1]² as the training scenes place objects — so the position model (the concept that draws
  // exactly one object most reliably) puts the object somewhere and holds it there. That samples
  // p(x | c) as the mixture over positions of p(x | c, position). The case's concepts are graded; the
  // placement has no target.
  bool place = false;
};

// The term name and label of the suite's count term ("one object" of LabelSchema::cubes_count()).
inline constexpr const char* kCountTerm = "count";
// The placement term's name (SuiteOptions::place).
inline constexpr const char* kPlaceTerm = "place";
std::vector<float> one_object_label();

// Recipes of every standard case whose concepts all have a model in `files` (model refs use the
// files' absolute paths; SHA-256 left empty). `skipped` receives the names of the other cases.
// Sampler settings come from `base` (the caller fills in schedule/steps for the models).
std::vector<SuiteRecipe> suite_recipes(const std::vector<std::pair<data::CubesConcept, std::filesystem::path>>& files,
                                       const SuiteOptions& opt, const SamplerParams& base,
                                       std::vector<std::string>* skipped);

// "size=1.5" items (the values of --concept-weight and --concept-guidance) → concept → value in
// [lo, hi]; throws std::invalid_argument naming `flag` and what was wrong with the item.
std::map<data::CubesConcept, double> parse_concept_values(const std::vector<std::string>& items, const std::string& flag,
                                                          double lo, double hi);

// Target labels of one concept for `count` cases, drawn from `gen` (a CPU generator).
std::vector<std::vector<float>> draw_labels(data::CubesConcept c, int count, torch::Generator gen);

}  // namespace ebm::eval
