#include "engine/langevin.h"

namespace ebm {

torch::Tensor project_gradient(const torch::Tensor& g, const LangevinParams& p) {
  if (p.proj_norm <= 0) return g;
  switch (p.proj) {
    case ProjNorm::None:
      return g;
    case ProjNorm::Elementwise:
      return g.clamp(-p.proj_norm, p.proj_norm);
    case ProjNorm::L2: {
      // tf.clip_by_norm over the whole tensor.
      auto scale = torch::clamp_max(p.proj_norm / (g.norm() + 1e-12), 1.0);
      return g * scale;
    }
    case ProjNorm::L2PerSample: {
      std::vector<std::int64_t> view(g.dim(), 1);
      view[0] = g.size(0);
      auto norms = g.flatten(1).norm(2, 1).view(view);
      return g * torch::clamp_max(p.proj_norm / (norms + 1e-12), 1.0);
    }
  }
  return g;
}

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
  g = project_gradient(g, p);
  torch::Tensor out = xn.detach() - p.step_lr * g;
  if (p.clamp) out = out.clamp(p.clamp_lo, p.clamp_hi);
  return {out, e.detach().reshape({-1}), g.detach()};
}

}  // namespace ebm
