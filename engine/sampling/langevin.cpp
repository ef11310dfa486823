#include "engine/sampling/langevin.h"

namespace ebm {

LangevinStepResult langevin_step(const torch::Tensor& x, const torch::Tensor& noise, const EnergyFn& energy,
                                 const LangevinParams& p) {
  auto evaluate = [&energy](const torch::Tensor& xn) {
    const torch::Tensor xg = xn.detach().requires_grad_(true);
    Evaluation ev;
    // Sampling needs input gradients even when the caller runs under NoGradGuard.
    torch::AutoGradMode enable(true);
    const torch::Tensor e = energy(xg);
    ev.g = torch::autograd::grad({e.sum()}, {xg})[0];
    ev.e = e.detach().reshape({-1});
    return ev;
  };
  // No noise_std: `noise` is the displacement itself, added as the original scripts add it.
  const RuleResult r = langevin_rule(x, noise, StepSize{host_number(p.step_lr), {}}, p, evaluate);
  return {r.x, r.energy, r.grad};
}

}  // namespace ebm
