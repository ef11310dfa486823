// Classifier-free guidance on energies (Ho & Salimans 2022, in energy form): move from a model's
// unconditional energy towards — and with g > 1 past — its conditional one,
//   E_g = E_u + g·(E_c − E_u).
// g = 1 is the conditional energy, g = 0 the unconditional one. Composition terms and the trainer's
// sample grids both guide through this, so a model's recommended guidance means the same in both.
//
// A guidance interval limits g to the noise levels lo ≤ σ ≤ hi; elsewhere the term is its plain
// conditional energy (g = 1). Kynkäänniemi et al. 2024 ("Applying guidance in a limited interval
// improves sample and distribution quality") found guidance at the highest noise levels harmful:
// there it pushes every sample towards the label's mean image (for a colour concept: a wash of the
// colour) before an object has formed.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json_fwd.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace ebm {

inline torch::Tensor guided_energy(const torch::Tensor& conditional, const torch::Tensor& unconditional, double g) {
  return unconditional + g * (conditional - unconditional);
}

// g as a 0-dim tensor on the energies' device (a composition's live guidance value).
inline torch::Tensor guided_energy(const torch::Tensor& conditional, const torch::Tensor& unconditional,
                                   const torch::Tensor& g) {
  return unconditional + g * (conditional - unconditional);
}

struct GuidanceInterval {
  double lo = 0.0;
  double hi = std::numeric_limits<double>::infinity();
  // True when guidance applies at every σ (the default).
  bool everywhere() const { return lo <= 0.0 && std::isinf(hi); }
  bool operator==(const GuidanceInterval& o) const { return lo == o.lo && hi == o.hi; }
  bool operator!=(const GuidanceInterval& o) const { return !(*this == o); }
};

// Empty when `iv` is usable (0 ≤ lo ≤ hi, lo finite, hi finite or +∞), else what is wrong with it.
std::string guidance_interval_problem(const GuidanceInterval& iv);
// JSON form [lo, hi], hi null for +∞ (JSON has no infinity). from_json throws std::invalid_argument
// with the reason; the caller prefixes the field's path.
nlohmann::json guidance_interval_to_json(const GuidanceInterval& iv);
GuidanceInterval guidance_interval_from_json(const nlohmann::json& j);
// Command-line form "LO,HI" (HI may be "inf"), e.g. "0,0.5". Throws std::invalid_argument.
GuidanceInterval parse_guidance_interval(const std::string& text);
std::string to_string(const GuidanceInterval& iv);  // "[0, 0.5]", "[0.2, inf]"

// g where lo ≤ σ ≤ hi, else 1: the guidance a term uses at the noise level `sigma` (0-dim tensors
// on one device, so a captured step picks the value per level without a host sync or re-capture).
inline torch::Tensor guidance_at_sigma(const torch::Tensor& g, const torch::Tensor& sigma, const torch::Tensor& lo,
                                       const torch::Tensor& hi) {
  const torch::Tensor s = sigma.to(g.scalar_type());
  return torch::where(s.ge(lo).logical_and(s.le(hi)), g, torch::ones_like(g));
}

}  // namespace ebm
