// One Langevin step on an energy given as a plain function of x — the trainer's form (its CD chains
// and its annealed sample grids): the Langevin rule of step_rules.h over an evaluate callback that
// differentiates `energy`, with the caller's noise. The sampler runs the same rule over its own
// chunked evaluation of a composition, so the two cannot drift apart.
//   x <- x + noise                      (noise ~ N(0, noise_std^2), supplied by the caller)
//   g <- d/dx sum_batch E(x)
//   [optional proj_norm clip of g: elementwise ('li') or l2 over the whole tensor]
//   x <- clamp(x - step_lr * g, lo, hi)
#pragma once

#include "engine/sampling/step_rules.h"

#include <torch/torch.h>

#include <functional>

namespace ebm {

// Energy of a batch: x [B,C,H,W] -> [B,1] (or [B]); must be differentiable w.r.t. x.
using EnergyFn = std::function<torch::Tensor(const torch::Tensor& x)>;

struct LangevinStepResult {
  torch::Tensor x;       // the new state, detached
  torch::Tensor energy;  // [B] energy at the noised x (before the update), detached
  torch::Tensor grad;    // [B,C,H,W] gradient at the noised x (after proj_norm), detached
};

// `noise` must have x's shape, already scaled (pass an undefined tensor for a noiseless step);
// p.noise_std is not read. p.step_lr is applied as the host number it is.
LangevinStepResult langevin_step(const torch::Tensor& x, const torch::Tensor& noise, const EnergyFn& energy,
                                 const LangevinParams& p);

}  // namespace ebm
