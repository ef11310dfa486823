#include "engine/langevin.h"

namespace ebm {

LangevinStepResult langevin_step(const torch::Tensor& x, const torch::Tensor& noise, const EnergyFn& energy,
                                 const LangevinParams& p) {
  torch::Tensor xn = noise.defined() ? (x.detach() + noise) : x.detach().clone();
  xn.set_requires_grad(true);
  torch::Tensor e;
  torch::Tensor g;
  {
    // Sampling needs input gradients even when the caller runs under NoGradGuard.
    torch::AutoGradMode enable(true);
    e = energy(xn);
    g = torch::autograd::grad({e.sum()}, {xn})[0];
  }
  if (p.proj == ProjNorm::Elementwise && p.proj_norm > 0) {
    g = g.clamp(-p.proj_norm, p.proj_norm);
  } else if (p.proj == ProjNorm::L2 && p.proj_norm > 0) {
    // tf.clip_by_norm over the whole tensor.
    auto scale = torch::clamp_max(p.proj_norm / (g.norm() + 1e-12), 1.0);
    g = g * scale;
  }
  torch::Tensor out = xn.detach() - p.step_lr * g;
  if (p.clamp) out = out.clamp(p.clamp_lo, p.clamp_hi);
  return {out, e.detach().reshape({-1}), g.detach()};
}

}  // namespace ebm
