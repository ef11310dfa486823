// Classifier-free guidance on energies (Ho & Salimans 2022, in energy form): move from a model's
// unconditional energy towards — and with g > 1 past — its conditional one,
//   E_g = E_u + g·(E_c − E_u).
// g = 1 is the conditional energy, g = 0 the unconditional one. Composition terms and the trainer's
// sample grids both guide through this, so a model's recommended guidance means the same in both.
#pragma once

#include <torch/torch.h>

namespace ebm {

inline torch::Tensor guided_energy(const torch::Tensor& conditional, const torch::Tensor& unconditional, double g) {
  return unconditional + g * (conditional - unconditional);
}

// g as a 0-dim tensor on the energies' device (a composition's live guidance value).
inline torch::Tensor guided_energy(const torch::Tensor& conditional, const torch::Tensor& unconditional,
                                   const torch::Tensor& g) {
  return unconditional + g * (conditional - unconditional);
}

}  // namespace ebm
