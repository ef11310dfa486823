#include "engine/sampling/euler_schedule.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace ebm {

void EulerWalkOptions::validate() const {
  auto req = [](bool ok, const std::string& m) {
    if (!ok) throw std::invalid_argument(m);
  };
  req(steps >= 1 && steps <= 100000, "--euler-steps must be 1 … 100000");
  req(std::isfinite(rho) && rho > 0 && rho <= 100, "--rho must be in (0, 100]");
  req(std::isfinite(churn) && churn >= 0, "--churn must be >= 0");
  req(churn_min >= 0 && churn_max >= churn_min, "the churn's σ range must have 0 <= min <= max");
  req(top_steps >= 0 && top_steps <= 100000, "--top-steps must be 0 … 100000");
  req(std::isfinite(r) && r > 0, "the corrector step factor r must be > 0");
  req(corrector_steps >= 0 && corrector_steps <= 1000, "--euler-corrector-steps must be 0 … 1000");
  req(std::isfinite(corrector_r) && corrector_r > 0 && corrector_r <= 10, "--euler-corrector-r must be in (0, 10]");
}

std::vector<double> karras_sigmas(double sigma_max, double sigma_min, int n, double rho) {
  if (!(sigma_max >= sigma_min && sigma_min > 0) || n < 1 || !(rho > 0))
    throw std::invalid_argument("Karras σ spacing needs sigma_max >= sigma_min > 0, n >= 1 and rho > 0");
  std::vector<double> s(static_cast<size_t>(n));
  const double a = std::pow(sigma_max, 1.0 / rho), b = std::pow(sigma_min, 1.0 / rho);
  for (int i = 0; i < n; ++i) {
    const double t = n == 1 ? 0.0 : static_cast<double>(i) / (n - 1);
    s[static_cast<size_t>(i)] = std::pow(a + t * (b - a), rho);
  }
  s.front() = sigma_max;  // exact ends, whatever pow's rounding
  s.back() = n == 1 ? sigma_max : sigma_min;
  return s;
}

Schedule euler_schedule(double sigma_max, double sigma_min, const EulerWalkOptions& opt) {
  opt.validate();
  if (!(sigma_max >= sigma_min && sigma_min > 0))
    throw std::invalid_argument("an Euler walk needs sigma_max >= sigma_min > 0");
  // steps + 1 knots: the walk ends on σ_min, where the denoise takes the rest.
  const std::vector<double> sigma = karras_sigmas(sigma_max, sigma_min, opt.steps + 1, opt.rho);
  const double gamma_max = std::min(opt.churn / opt.steps, std::sqrt(2.0) - 1.0);
  Schedule s;
  if (opt.top_steps > 0) {
    const double eps = opt.r * sigma_max * sigma_max;
    s.levels.push_back({opt.top_steps, sigma_max, eps, std::sqrt(2 * eps)});
  }
  for (int k = 0; k < opt.steps; ++k) {
    const double sk = sigma[static_cast<size_t>(k)], next = sigma[static_cast<size_t>(k + 1)];
    // No churn on the first step: the chain starts at σ_max's noise (the `noise` start), not above it.
    const bool churned = k > 0 && sk >= opt.churn_min && sk <= opt.churn_max;
    const double hat = sk * (1.0 + (churned ? gamma_max : 0.0));
    // Heun on every step but the last (euler_schedule.h says why).
    const double heun_to = opt.heun && k + 1 < opt.steps ? next : 0.0;
    s.levels.push_back({1, hat, hat * (hat - next), std::sqrt(std::max(hat * hat - sk * sk, 0.0)), heun_to});
    if (opt.corrector_steps > 0) {
      const double eps = opt.corrector_r * next * next;
      s.levels.push_back({opt.corrector_steps, next, eps, std::sqrt(2 * eps)});
    }
  }
  s.levels.push_back({1, sigma_min, sigma_min * sigma_min, 0.0, 0.0});  // Tweedie: E[x0 | x_σmin]
  return s;
}

}  // namespace ebm
