// The flags that say how a denoising model's noise ladder is walked (LadderOptions in
// engine/sampling/schedule.h), shared by `ebm sample` and `ebm eval`. They apply only when the
// composition has a denoising model and the recipe has no schedule of its own.
#pragma once

#include "engine/sampling/sampler_params.h"
#include "engine/sampling/walk_presets.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace ebm::cli {

// Adds --quality draft|quick|final (walk_presets.h; --draft is --quality draft), the corrector
// ladder's flags (--levels, --steps-per-level, --corrector-r, --predictor, --top-steps, --temperature)
// and the Euler walk's (--walk, --euler-steps, --rho, --churn, --euler-top-steps, --heun), bound to
// `ladder` (the command starts it at final_ladder(), the default walk).
void add_ladder_flags(CLI::App* sub, LadderOptions& ladder);

// "40 noise levels, 200 top steps, 400 steps" (", with predictor moves" when on): what a command
// prints when it puts a composition on the models' ladder.
std::string describe_ladder(const LadderOptions& ladder, std::int64_t total_steps);

// `--steps N` of `ebm sample` and `ebm eval`, one rule for both (issue #26: an explicit step count
// applies, or is refused saying why). Models on a constant schedule (Langevin) take N steps: this sets
// `p.steps`, and refuses N < 1 and a recipe whose own annealed schedule sets the count.
void apply_step_count(std::int64_t steps, SamplerParams& p);
// Denoising models, whose noise ladder sets the count, take N − 1 Euler steps of the ladder's
// probability-flow ODE and the final denoise: `ladder` as --walk euler with N − 1 steps and no top
// steps (ρ, churn and Heun kept). Refuses N < 2.
LadderOptions ladder_in_steps(const LadderOptions& ladder, std::int64_t steps);

}  // namespace ebm::cli
