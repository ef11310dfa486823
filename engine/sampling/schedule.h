// Schedules of a sampling run: the constant schedule of the original scripts, or an annealed one —
// a list of noise levels σ, each with its own step size and Langevin noise — and the ladders that
// build annealed schedules for denoising models (Song & Ermon 2019; Song et al. 2021).
#pragma once

#include "engine/energy/energy_model.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ebm {

// One level of an annealed schedule: `steps` steps at noise level sigma (given to denoising models)
// with their own step size and Langevin noise.
struct ScheduleLevel {
  std::int64_t steps = 1;
  double sigma = 0.0;
  double step_lr = 100.0;
  double noise_std = 0.001;
  // > 0: each step of the level is Heun's (EDM's second-order step, euler_schedule.h) from σ (this
  // level's, after its noise) to heun_sigma: the Euler step there, the gradient at that point and
  // σ = heun_sigma, and the average of the two slopes — two network evaluations per step.
  double heun_sigma = 0.0;
};

// Empty levels: the constant schedule of every original script (SamplerParams::steps steps at
// step_lr / noise_std, sigma 0). Otherwise the levels run in order; their steps add up to the run's
// length, and a chain continued past the end stays on the last level.
struct Schedule {
  std::vector<ScheduleLevel> levels;
  bool annealed() const { return !levels.empty(); }
};

// Geometric ladder of `levels` noise levels from sigma_max down to sigma_min (one level: sigma_max).
// Throws std::invalid_argument unless levels >= 1 and 0 < sigma_min <= sigma_max. Every ladder of the
// project — the sampler's schedules and the trainer's annealed sampler — is built on it.
std::vector<double> sigma_ladder(double sigma_max, double sigma_min, int levels);

// Annealed Langevin levels after Song & Ermon (NCSN): sigma geometric from sigma_max to sigma_min,
// step size eps·(sigma/sigma_min)², noise std sqrt(2·step) — the coupled form denoising models use.
Schedule geometric_schedule(double sigma_max, double sigma_min, int levels, std::int64_t steps_per_level, double eps,
                            double temperature = 1.0);

// How a denoising model's ladder of noise levels is walked (σ geometric from σ_max to σ_min).
//   corrector only (predictor = false): annealed Langevin, `steps_per_level` steps of r·σ² per level
//     with noise √(2r)·σ (Song & Ermon 2019) — the chain's noise stays at each level's σ.
//   predictor–corrector (predictor = true): the same corrector steps, then a reverse-diffusion move
//     to the next level, x ← x − (σ_k² − σ_{k+1}²)·∇E(x, σ_k) + √(σ_k² − σ_{k+1}²)·z, and at the
//     last level the Tweedie denoise x ← x − σ_min²·∇E (Song et al. 2021; the trainer's grids).
//   top_steps: extra corrector steps at σ_max first, so a chain that starts without an object can
//     form one where the noise is highest.
//   These defaults (200 top steps, corrector only: walk_presets.h's "final") were the best walk of an
//   H200 sweep over the shipped models (assets/models/MODEL_CARD.md, 2026-12-01): without the top
//   steps colour and shape chains drew an object in 2 % / 38 % of the samples, with them size error
//   0.152 → 0.093 (n = 64).
inline constexpr std::int64_t kDefaultTopSteps = 200;
//   temperature: the corrector steps sample exp(−E/T) at each level — noise √(2r·T)·σ for the step
//     r·σ² — T < 1 sharper and less varied (the predictor's moves keep their noise). The original
//     noise-first step already runs colder than T (its stationary variance on a Gaussian at r = 0.1 is
//     0.85 of the target's), while MALA and HMC sample T itself.
//   top_temperature: the top steps' own T (0: `temperature`). Where objects take their shape (σ_max) a
//     short ladder wants more noise than where their position and size settle: on 12 top steps + 14
//     levels × 2, T 1.3 everywhere drew shape ∧ ¬colour in 95.7 % instead of 89.1 % but position ∧
//     size in 96.1 % instead of 98.0 (its position error 0.044 against 0.030); the top steps alone at
//     1.5 drew 94.1 % and kept position ∧ size at 98.0 (the 2-core CPU, n = 256, held out, 2026-12-07).
//   walk: Corrector, the ladder above; or Euler (euler_schedule.h): `euler_steps` Euler steps of the
//     probability-flow ODE on Karras-spaced σ (ρ = `rho`), EDM churn `churn`, `euler_top_steps`
//     corrector steps at σ_max first, then the Tweedie denoise — one network evaluation per step;
//     with `heun`, each Euler step is Heun's second-order step (two evaluations); with
//     `euler_corrector_steps`, that many Langevin steps of euler_corrector_r·σ² follow each Euler step
//     at the σ it ends on.
enum class LadderWalk { Corrector, Euler };
std::string to_string(LadderWalk w);
LadderWalk ladder_walk_from_string(const std::string& s);  // "corrector" | "euler"

struct LadderOptions {
  int levels = 40;
  std::int64_t steps_per_level = 5;
  double r = 0.1;
  bool predictor = false;
  std::int64_t top_steps = kDefaultTopSteps;
  double temperature = 1.0;
  double top_temperature = 0.0;  // the top steps' T; 0: temperature (top_steps_temperature())
  // The walk (the fields above describe the corrector ladder; these the Euler walk).
  LadderWalk walk = LadderWalk::Corrector;
  int euler_steps = 32;
  double rho = 7.0;
  double churn = 0.0;
  std::int64_t euler_top_steps = 0;
  bool heun = false;
  std::int64_t euler_corrector_steps = 0;
  double euler_corrector_r = 0.1;
};

// The predictor–corrector walk as Langevin steps (noise first, then the gradient at the noised point,
// as langevin_step does): a predictor's noise is drawn by the next step (added in quadrature to that
// step's own), its gradient step has no noise of its own. Ends with the Tweedie denoise; a chain run
// past the end repeats it.
Schedule predictor_corrector_schedule(double sigma_max, double sigma_min, const LadderOptions& opt);

// The temperature the top steps walk at: top_temperature, or the ladder's when that is 0.
inline double top_steps_temperature(const LadderOptions& o) {
  return o.top_temperature > 0 ? o.top_temperature : o.temperature;
}

// The walks offered by name (draft, quick, final) are in walk_presets.h.

// The schedule that samples a composition of these models: none of them a denoising model → the
// constant schedule (empty); otherwise a ladder (above) over the noise range every denoising model
// was trained on (ModelInfo::sigma_min/max) — the form `ebm eval`, `ebm sample` and the studio use.
// Throws std::invalid_argument when the ranges are disjoint or the options are out of range.
Schedule denoising_schedule(const std::vector<ModelInfo>& models, const LadderOptions& ladder);
inline Schedule denoising_schedule(const std::vector<ModelInfo>& models, int levels = 40,
                                   std::int64_t steps_per_level = 5, double r = 0.1) {
  return denoising_schedule(models, LadderOptions{levels, steps_per_level, r, false, kDefaultTopSteps, 1.0});
}

// The part of an annealed schedule a chain started at noise level `sigma` walks: its levels from the
// first one whose σ is at or below `sigma` on (only the last level when none is) — the ladder entered
// partway down, as an edit from a noised image does. Cutting twice at the same σ cuts nothing more.
// A constant schedule is returned as it is.
// `top_steps_at_entry` (an edit that holds a region: SamplerParams::init_region): when the schedule
// begins with top steps (a first level of more steps than the one entered) and the cut drops them, they
// lead the cut at the entry level's σ with the same r — step size × (σ/σ_top)², noise × σ/σ_top. The
// region's object forms there, as a chain from noise forms it at σ_max: 64 colour edits at σ 0.8 in a
// box found an object in 100 % instead of 94 % and moved it 0.08 instead of 0.47 on average. Without a
// region they wreck the edit (the new colour in 28 % instead of 80 %: nothing holds the picture while
// the pulls act that long), so a whole-image edit is only cut (docs/recipe.md "An edit box").
Schedule schedule_from_sigma(const Schedule& s, double sigma, bool top_steps_at_entry = false);

// Network evaluations of a run on this schedule per evaluation of the composition: its steps, a Heun
// level's counted twice (the constant schedule: `constant_steps`).
std::int64_t schedule_evaluations(const Schedule& s, std::int64_t constant_steps);

// Same levels (steps, σ, step size, noise, Heun's σ) in the same order.
bool same_schedule(const Schedule& a, const Schedule& b);

}  // namespace ebm
