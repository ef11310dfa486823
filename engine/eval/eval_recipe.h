// One evaluation: a recipe's composition sampled n times and graded by the classifier — the whole
// of `ebm eval --recipe`, and one case-label of `ebm eval --suite`.
#pragma once

#include "engine/eval/eval_sampling.h"
#include "engine/eval/grade_table.h"

namespace ebm::eval {

struct EvalOutcome {
  GradeTable table;
  SamplerParams params;  // as sampled (with the model's schedule filled in when the recipe had none)
  bool schedule_from_model = false;
};

// Checks the targets first (before any sampling: a recipe that cannot be graded fails at once), fills
// in the denoising models' annealed schedule when the recipe has a constant one (apply_model_schedule,
// engine/recipe/runnable.h:
// no clamp along the ladder, the `noise` start),
// samples n images in chunks of `chunk`, classifies and grades them (and counts the samples with an
// object: GradeTable::objects_found).
EvalOutcome evaluate_recipe(const std::string& name, const Recipe& r, const ModelSet& models,
                            CubesClassifierImpl& classifier, int64_t n, int64_t chunk,
                            const SamplingProgressFn& progress = {}, const LadderOptions& ladder = {});

}  // namespace ebm::eval
