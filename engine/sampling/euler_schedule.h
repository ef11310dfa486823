// The fast walk of a denoising model's noise ladder (issue #26): Euler steps of the probability-flow
// ODE on σ spaced as Karras et al. 2022 ("Elucidating the design space of diffusion-based generative
// models", EDM) — dense where σ is small, where the image's detail is decided — optionally with EDM's
// stochastic "churn", and the Tweedie denoise at the end.
//
// For an energy whose σ·∇ₓE predicts the noise (a denoising model), the ODE is dx/dσ = σ·∇ₓE(x, σ):
// one Euler step from σ_k to σ_{k+1} is the gradient step x ← x − σ_k(σ_k − σ_{k+1})·∇ₓE(x, σ_k).
// With churn γ_k the step first raises the noise to σ̂ = σ_k(1 + γ_k) by adding √(σ̂² − σ_k²)·ξ, then
// takes the Euler step from σ̂ — which is exactly the sampler's plain step (noise first, then the
// gradient at the noised point; langevin.h) with noise √(σ̂² − σ_k²) and step σ̂(σ̂ − σ_{k+1}). So the
// walk is a Schedule like the corrector ladder's, one network evaluation per step, and everything
// that runs a Schedule (the captured CUDA graph, the studio, `ebm sample`/`eval`) runs it unchanged.
// It is meant for the plain step rule: MALA/HMC would accept-test its churn steps as Langevin moves.
//
// Heun (EDM's Algorithm 2, `heun`): each step also evaluates the gradient at the Euler step's end
// point x̃ and σ_{k+1}, and moves along the average of the two slopes,
//   x ← x − ½·σ̂(σ̂ − σ_{k+1})·∇ₓE(x, σ̂) − ½·σ_{k+1}(σ̂ − σ_{k+1})·∇ₓE(x̃, σ_{k+1}),
// second order in the step: two network evaluations per step instead of one (the level's
// heun_sigma, schedule.h; the sampler runs these steps eagerly, outside a captured CUDA graph). The
// last step, down to σ_min, stays a plain Euler step, as EDM's last step to σ = 0 does: the ODE is
// stiff there (on a Gaussian of std 0.05, 4 steps with a Heun last step missed its spread by 0.017,
// without it by 0.0002). A Heun walk of n steps costs 2n − 1 evaluations, + the denoise.
#pragma once

#include "engine/sampling/schedule.h"

#include <vector>

namespace ebm {

struct EulerWalkOptions {
  int steps = 32;        // Euler steps from σ_max to σ_min (network evaluations per term, + 1 denoise)
  double rho = 7.0;      // Karras spacing exponent (1: linear in σ; large: dense near σ_min)
  double churn = 0.0;    // EDM's S_churn: γ_k = min(churn / steps, √2 − 1) on every step but the first
  double churn_min = 0.0, churn_max = 1e9;  // churn only where churn_min ≤ σ_k ≤ churn_max
  std::int64_t top_steps = 0;  // plain corrector steps (r·σ_max²) at σ_max before the walk
  double r = 0.1;              // their step factor, as the corrector ladder's
  bool heun = false;           // Heun's second-order step on every Euler step but the last (2 evaluations each)
  // Langevin corrector steps (r·σ², noise √(2r)·σ) at the σ each Euler step ends on: a composition's
  // summed score is not the score of its noised product, so the ODE of the sum squeezes the chains;
  // corrector steps at each level pull them toward that level's own product, as the corrector
  // ladder's levels do (Du et al. 2023, "Reduce, Reuse, Recycle"). They give back only part of it:
  // on two summed Gaussians 0.025 of a 0.035 spread, where a 40-step corrector ladder keeps 0.036
  // (tests/engine/euler_walk_test.cpp), and on the shipped models they did not beat the quick walk.
  std::int64_t corrector_steps = 0;
  double corrector_r = 0.1;
  void validate() const;       // throws std::invalid_argument naming the option
};

// σ_max … σ_min in `n` values: (σ_max^(1/ρ) + i/(n−1)·(σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ.
std::vector<double> karras_sigmas(double sigma_max, double sigma_min, int n, double rho);

// The walk as a Schedule: top corrector steps, then one level per Euler step (each followed by its
// corrector level when corrector_steps > 0), then the Tweedie denoise x ← x − σ_min²·∇ₓE at σ_min.
// Total steps: top_steps + steps·(1 + corrector_steps) + 1 (network evaluations per term: that, plus
// steps − 1 more with Heun).
Schedule euler_schedule(double sigma_max, double sigma_min, const EulerWalkOptions& opt);

}  // namespace ebm
