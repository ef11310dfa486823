// The flags that say how a denoising model's noise ladder is walked (LadderOptions in
// engine/sampling/schedule.h), shared by `ebm sample` and `ebm eval`. They apply only when the
// composition has a denoising model and the recipe has no schedule of its own.
#pragma once

#include "engine/energy/node.h"
#include "engine/sampling/sampler_params.h"
#include "engine/sampling/walk_presets.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ebm::cli {

// What the walk flags of a command said. Unnamed (no flag, or --quality auto alone), a composition
// walks its default: the quick walk around one prior, the final ladder otherwise
// (engine/recipe/default_walk.h). Named (--quality draft|quick|final, --draft, any walk flag, or the
// command's --steps: name_by_steps), it walks `ladder`; a walk flag without --quality changes the
// final ladder, as it always has.
struct WalkFlags {
  LadderOptions ladder = final_ladder();
  bool named = false;                   // --quality (not auto) or --draft was given
  std::vector<const CLI::Option*> flags;  // the walk flags (add_ladder_flags): given ones name the walk too
  // The command's --steps (ladder_in_steps: Euler steps on the final ladder's spacing) names it too.
  void name_by_steps(const CLI::Option* steps) { flags.push_back(steps); }
  bool is_named() const;
  // The walk `composition` is sampled on.
  LadderOptions for_composition(const Node& composition) const;
  // Unnamed: "; the quick walk, the default around one prior" (or "the final walk, the default for
  // summed energies"), for the line that says which walk a command chose. Named: "".
  std::string why(const Node& composition) const;
};

// Adds --quality auto|draft|quick|final (walk_presets.h; --draft is --quality draft), the corrector
// ladder's flags (--levels, --steps-per-level, --corrector-r, --predictor, --top-steps, --temperature)
// and the Euler walk's (--walk, --euler-steps, --rho, --churn, --euler-top-steps, --heun), bound to
// `walk`.
void add_ladder_flags(CLI::App* sub, WalkFlags& walk);

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
