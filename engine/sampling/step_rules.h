// Step rules: how one step moves a chain, given only a way to evaluate the energy and its input
// gradient at a point. The sampler (chunked evaluation of a composition, per-term energies, mask
// gradients) and the trainer (one network, langevin.h) run the same rules over their own evaluate
// callbacks, so there is one Langevin step in the project, not one per caller.
//
//   Langevin  the original scripts' step (spec §4.2 / §5.2), unadjusted:
//               x ← x + noise·ξ;  g ← proj(∇E(x));  x ← clamp(x − step·g)
//   Metropolis (MALA, HMC): leapfrog steps of size noise on E/T with momentum ξ, T = noise²/(2·step),
//             and an accept test (sampler_params.h, StepRule; docs/engine.md has the derivation).
//
// Pure functions of their arguments: no threads, no random numbers of their own (the caller draws ξ
// and the accept test's uniforms), no host syncs — a captured CUDA graph can hold a whole step.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <vector>

namespace ebm {

// L2 is the original's tf.clip_by_norm over the whole batch tensor, which couples the samples of a
// batch; L2PerSample clips each sample's gradient on its own (keeps per-sample determinism).
enum class ProjNorm { None, Elementwise, L2, L2PerSample };

// The structural settings of a step (step size and noise arrive as StepSize, below).
struct LangevinParams {
  double step_lr = 100.0;    // the original's step size (decoupled from noise)
  double noise_std = 0.001;  // std of the Gaussian added before each gradient
  bool clamp = true;         // clamp to [clamp_lo, clamp_hi] after the step
  double clamp_lo = 0.0, clamp_hi = 1.0;
  ProjNorm proj = ProjNorm::None;
  double proj_norm = 0.0;    // clip value for `proj`
};

// The optional proj_norm clip of a gradient (no-op when p.proj is None or p.proj_norm <= 0).
torch::Tensor project_gradient(const torch::Tensor& g, const LangevinParams& p);

// The energy at one point, as much of it as a rule and its caller need.
struct Evaluation {
  torch::Tensor e;                        // [B] energy, detached
  torch::Tensor g;                        // [B,C,H,W] ∂E/∂x (not projected)
  std::vector<torch::Tensor> per_term;    // the sampler's per-term energies [B] (undefined: none)
  std::vector<torch::Tensor> mask_grads;  // the sampler's comb_mask gradients (rules ignore them)
};
using EvaluateFn = std::function<Evaluation(const torch::Tensor& x)>;

// Step size and noise std as 0-dim tensors: on the chain's device for the sampler (a captured graph
// replays with the values written into them), or host numbers for the trainer (host_number(): then
// the arithmetic is exactly that of a C++ double operand). noise_std undefined: the caller's ξ is
// the noise displacement itself, already scaled.
struct StepSize {
  torch::Tensor step_lr;
  torch::Tensor noise_std;
};

// A host number as the 0-dim "wrapped number" tensor Torch makes of a C++ scalar operand, so that
// `t * host_number(v)` computes bit for bit what `t * v` computes.
torch::Tensor host_number(double v);

struct RuleResult {
  torch::Tensor x;          // the new state, detached
  torch::Tensor energy;     // [B] the chain's energy for this step (see each rule)
  torch::Tensor grad;       // [B,C,H,W] the projected gradient the step moved along, detached
  torch::Tensor accepted;   // [B] float, Metropolis rules only: 1 where the proposal was taken
  Evaluation at;            // the evaluation the step's energies came from (Langevin: at x + noise)
};

// The Langevin step: xi is standard-normal noise shaped like x (undefined: a step without noise).
// `energy` is the energy at the noised point, before the update.
RuleResult langevin_rule(const torch::Tensor& x, const torch::Tensor& xi, const StepSize& size,
                         const LangevinParams& lp, const EvaluateFn& evaluate);

// A Metropolis-adjusted step: `leapfrogs` leapfrog steps (1: MALA, more: HMC) from x with momentum
// xi, then the accept test against `u` ([B] uniforms in (0,1)). A step whose noise is 0 (a predictor
// step) takes the plain gradient step and counts as accepted. `energy` and `at.per_term` are those
// of where each chain is now (the proposal's where it was taken, x's elsewhere).
RuleResult metropolis_rule(const torch::Tensor& x, const torch::Tensor& xi, const torch::Tensor& u,
                           const StepSize& size, const LangevinParams& lp, int leapfrogs,
                           const EvaluateFn& evaluate);

}  // namespace ebm
