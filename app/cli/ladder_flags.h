// The flags that say how a denoising model's noise ladder is walked (LadderOptions in
// engine/sampler_params.h), shared by `ebm sample` and `ebm eval`. They apply only when the
// composition has a denoising model and the recipe has no schedule of its own.
#pragma once

#include "engine/sampler_params.h"

#include <CLI/CLI.hpp>

namespace ebm::cli {

// Adds --levels, --steps-per-level, --corrector-r, --predictor and --top-steps, bound to `ladder`.
void add_ladder_flags(CLI::App* sub, LadderOptions& ladder);

}  // namespace ebm::cli
