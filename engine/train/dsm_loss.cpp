#include "engine/train/dsm_loss.h"

#include <cmath>
#include <stdexcept>

namespace ebm::train {

DsmLoss dsm_loss(const SigmaEnergyFn& energy, const torch::Tensor& x0, const torch::Tensor& sigma,
                 const torch::Tensor& eps, const torch::Tensor& weight) {
  if (sigma.dim() != 1 || sigma.size(0) != x0.size(0)) throw std::invalid_argument("dsm_loss: sigma must be [B]");
  if (eps.sizes() != x0.sizes()) throw std::invalid_argument("dsm_loss: eps must have the shape of x0");
  if (weight.defined() && (weight.dim() != 1 || weight.size(0) != x0.size(0)))
    throw std::invalid_argument("dsm_loss: weight must be [B]");
  std::vector<int64_t> bshape(x0.dim(), 1);
  bshape[0] = x0.size(0);
  auto s = sigma.view(bshape);
  auto x_t = (x0 + s * eps).detach().requires_grad_(true);
  torch::AutoGradMode on(true);
  auto e = energy(x_t, sigma);
  auto g = torch::autograd::grad({e.sum()}, {x_t}, /*grad_outputs=*/{}, /*retain_graph=*/true,
                                 /*create_graph=*/true)[0];
  // σ·s + ε with s = −g.
  auto r = eps - s * g.to(eps.scalar_type());
  std::vector<int64_t> dims;
  for (int64_t d = 1; d < x0.dim(); ++d) dims.push_back(d);
  auto per = r.square().mean(dims);
  auto loss = weight.defined() ? (per * weight.to(per.scalar_type())).mean() : per.mean();
  return {loss, per.detach()};
}

torch::Tensor edm_weight(const torch::Tensor& sigma, double sigma_data) {
  if (!(sigma_data > 0)) throw std::invalid_argument("edm_weight: sigma_data must be > 0");
  const double sd2 = sigma_data * sigma_data;
  return (sigma.square() + sd2) / sd2;
}

torch::Tensor sample_sigmas(int64_t n, double median, double log_std, double lo, double hi, torch::Generator& gen,
                            const torch::TensorOptions& options) {
  if (!(lo > 0 && hi > lo && median > 0 && log_std > 0))
    throw std::invalid_argument("sample_sigmas: need 0 < lo < hi, median > 0, log_std > 0");
  const double mu = std::log(median);
  auto cdf = [&](double v) { return 0.5 * std::erfc(-(std::log(v) - mu) / (log_std * std::sqrt(2.0))); };
  const double a = cdf(lo), b = cdf(hi);
  auto u = torch::rand({n}, gen, options.dtype(torch::kFloat)) * (b - a) + a;
  // Φ⁻¹(u) = √2·erfinv(2u − 1); clamp guards the float ends of the interval.
  auto z = std::sqrt(2.0) * torch::erfinv((2 * u - 1).clamp(-1 + 1e-6, 1 - 1e-6));
  return (mu + log_std * z).exp().clamp(lo, hi);
}

torch::Tensor gaussian_prior_dsm_loss(const torch::Tensor& x0, const torch::Tensor& sigma, const torch::Tensor& eps,
                                      const torch::Tensor& mean, double sigma_data) {
  torch::NoGradGuard no_grad;
  auto sg = sigma.to(torch::kFloat).view({-1, 1, 1, 1});
  auto r = sg * (x0 + sg * eps - mean) / (sg * sg + sigma_data * sigma_data) - eps;
  return r.square().mean();
}

}  // namespace ebm::train
