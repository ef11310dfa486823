#include "engine/sampling/step_rules.h"

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

torch::Tensor host_number(double v) {
  torch::Tensor t = torch::scalar_tensor(v, torch::kDouble);
  t.unsafeGetTensorImpl()->set_wrapped_number(true);
  return t;
}

RuleResult langevin_rule(const torch::Tensor& x, const torch::Tensor& xi, const StepSize& size,
                         const LangevinParams& lp, const EvaluateFn& evaluate) {
  // x <- x + N(0, noise²), before the gradient (spec §4.2).
  torch::Tensor xn = x.detach();
  if (xi.defined()) xn = xn + (size.noise_std.defined() ? xi * size.noise_std : xi);
  RuleResult r;
  r.at = evaluate(xn);
  r.grad = project_gradient(r.at.g, lp).detach();
  torch::Tensor out = xn.detach() - r.grad * size.step_lr;
  if (lp.clamp) out = out.clamp(lp.clamp_lo, lp.clamp_hi);
  r.x = out.detach();
  r.energy = r.at.e;
  return r;
}

RuleResult metropolis_rule(const torch::Tensor& x, const torch::Tensor& xi, const torch::Tensor& u,
                           const StepSize& size, const LangevinParams& lp, int leapfrogs,
                           const EvaluateFn& evaluate) {
  // HMC on U = E/T with momentum ξ ~ N(0, I), leapfrog step ε = noise and T = noise²/(2·step), so
  // that (ε/2)·∇U = (step/noise)·∇E: one leapfrog step moves x to x − step·∇E(x) + noise·ξ, the
  // MALA proposal, and its accept test is MALA's. All of it is tensor arithmetic on the device (no
  // host sync), so a captured graph holds it; a replay with noise 0 (a predictor step) takes the
  // plain gradient step instead.
  const torch::Tensor noiseless = size.noise_std.eq(0);
  const torch::Tensor eps = torch::where(noiseless, torch::ones_like(size.noise_std), size.noise_std);
  const torch::Tensor half_kick = size.step_lr / eps;  // (ε/2)·(1/T) per unit of ∇E
  const Evaluation start = evaluate(x);
  const torch::Tensor drift = project_gradient(start.g, lp);
  auto clamped = [&](torch::Tensor t) { return lp.clamp ? t.clamp(lp.clamp_lo, lp.clamp_hi) : t; };
  // With the clamp on each position is clamped into the box: the test is then approximate near the
  // box's faces. (Refusing every trajectory that leaves the box would be exact, and would refuse
  // nearly all of them on a 12,288-pixel image.) The denoising ladders run unclamped.
  torch::Tensor p = xi - drift * half_kick;
  torch::Tensor pos = x;
  Evaluation end;
  for (int l = 0; l < leapfrogs; ++l) {
    pos = clamped(pos + p * eps).detach();
    end = evaluate(pos);
    const double kicks = l + 1 < leapfrogs ? 2.0 : 1.0;  // full kicks inside, a half kick at the end
    p = p - project_gradient(end.g, lp) * half_kick * kicks;
  }
  auto sum_sq = [](const torch::Tensor& t) { return t.square().flatten(1).sum(1); };
  // log α = (U(x) + ½‖ξ‖²) − (U(x') + ½‖p'‖²), U = E/T = E·2·step/noise².
  const torch::Tensor log_alpha =
      (start.e - end.e) * (2.0 * size.step_lr / eps.square()) + 0.5 * (sum_sq(xi) - sum_sq(p));
  const torch::Tensor take = torch::log(u).lt(log_alpha).logical_and(noiseless.logical_not());  // NaN refuses
  const torch::Tensor plain = clamped(x - drift * size.step_lr);
  RuleResult r;
  r.x = torch::where(noiseless, plain, torch::where(take.view({-1, 1, 1, 1}), pos, x)).detach();
  // The chain's energies are those of where it is now (at x for a plain step, as the Langevin rule
  // reports the energy before its update).
  r.energy = torch::where(take, end.e, start.e);
  r.at.e = r.energy;
  r.at.per_term.assign(start.per_term.size(), torch::Tensor());
  for (size_t i = 0; i < start.per_term.size(); ++i)
    if (start.per_term[i].defined() && i < end.per_term.size() && end.per_term[i].defined())
      r.at.per_term[i] = torch::where(take, end.per_term[i], start.per_term[i]);
  r.grad = drift.detach();
  r.accepted = take.logical_or(noiseless).to(torch::kFloat);
  return r;
}

}  // namespace ebm
