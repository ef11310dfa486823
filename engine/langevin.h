// One Langevin step, exactly as every original TF script does it (spec §4.2 / §5.2):
//   x <- x + noise                      (noise ~ N(0, noise_std^2), supplied by the caller)
//   g <- d/dx sum_batch E(x)
//   [optional proj_norm clip of g: elementwise ('li') or l2 over the whole tensor]
//   x <- clamp(x - step_lr * g, lo, hi)
// A pure function of state + params + noise: no threads, no RNG of its own, so the caller decides
// how noise streams are drawn (per-sample seeds in the sampler, one generator in the trainer).
#pragma once

#include <torch/torch.h>

#include <functional>

namespace ebm {

// L2 is the original's tf.clip_by_norm over the whole batch tensor, which couples the samples of a
// batch; L2PerSample clips each sample's gradient on its own (keeps per-sample determinism).
enum class ProjNorm { None, Elementwise, L2, L2PerSample };

struct LangevinParams {
  double step_lr = 100.0;    // the original's step size (decoupled from noise)
  double noise_std = 0.001;  // std of the Gaussian added before each gradient
  bool clamp = true;         // clamp to [clamp_lo, clamp_hi] after the step
  double clamp_lo = 0.0, clamp_hi = 1.0;
  ProjNorm proj = ProjNorm::None;
  double proj_norm = 0.0;    // clip value for `proj`
};

// Energy of a batch: x [B,C,H,W] -> [B,1] (or [B]); must be differentiable w.r.t. x.
using EnergyFn = std::function<torch::Tensor(const torch::Tensor& x)>;

struct LangevinStepResult {
  torch::Tensor x;       // the new state, detached
  torch::Tensor energy;  // [B] energy at the noised x (before the update), detached
  torch::Tensor grad;    // [B,C,H,W] gradient at the noised x (after proj_norm), detached
};

// The optional proj_norm clip of a gradient (no-op when p.proj is None or p.proj_norm <= 0).
torch::Tensor project_gradient(const torch::Tensor& g, const LangevinParams& p);

// `noise` must have x's shape (pass an undefined tensor for a noiseless step).
LangevinStepResult langevin_step(const torch::Tensor& x, const torch::Tensor& noise, const EnergyFn& energy,
                                 const LangevinParams& p);

}  // namespace ebm
