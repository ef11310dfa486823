#include "engine/train/annealed_sampler.h"

#include "engine/sampling/langevin.h"
#include "engine/sampling/schedule.h"

#include <cmath>
#include <stdexcept>

namespace ebm::train {

torch::Tensor sample_annealed(const SigmaEnergyFn& energy, torch::Tensor x_init, const AnnealedOptions& opt,
                              torch::Generator& gen) {
  if (opt.r <= 0 || opt.corrector_steps < 0) throw std::invalid_argument("annealed sampler: need r > 0, corrector_steps >= 0");
  const auto ladder = sigma_ladder(opt.sigma_max, opt.sigma_min, opt.levels);
  torch::Tensor x = x_init.detach();
  const int64_t B = x.size(0);
  auto at_sigma = [&](double sigma) {
    auto s = torch::full({B}, sigma, x.options());
    return EnergyFn([&energy, s](const torch::Tensor& xx) { return energy(xx, s); });
  };
  LangevinParams p;
  p.clamp = false;  // the noised distributions live outside [0, 1]; only the final sample is clamped
  for (size_t i = 0; i < ladder.size(); ++i) {
    const double sigma = ladder[i];
    auto e = at_sigma(sigma);
    p.step_lr = opt.r * sigma * sigma;
    for (int k = 0; k < opt.corrector_steps; ++k) {
      auto z = torch::randn(x.sizes(), gen, x.options()) * std::sqrt(2 * p.step_lr);
      x = langevin_step(x, z, e, p).x;
    }
    if (opt.predictor && i + 1 < ladder.size()) {
      const double next = ladder[i + 1];
      const double d = sigma * sigma - next * next;
      LangevinParams pp = p;
      pp.step_lr = d;
      x = langevin_step(x, torch::Tensor(), e, pp).x + torch::randn(x.sizes(), gen, x.options()) * std::sqrt(d);
    }
  }
  if (opt.denoise) {
    const double s = ladder.back();
    LangevinParams pd = p;
    pd.step_lr = s * s;
    x = langevin_step(x, torch::Tensor(), at_sigma(s), pd).x;
  }
  return x.clamp(0, 1).detach();
}

}  // namespace ebm::train
