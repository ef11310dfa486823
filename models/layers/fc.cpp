#include "models/layers/fc.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace ebm {

FCImpl::FCImpl(const FCSpec& spec) : spec_(spec) {
  if (spec.c_in < 1 || spec.c_out < 1) throw std::invalid_argument("fc layer: sizes must be >= 1");
  auto m = torch::empty({spec.c_in, spec.c_out});
  {
    torch::NoGradGuard no_grad;
    if (spec.spec_norm) {
      m.normal_(0.0, 1.0);
    } else {
      const double bound = std::sqrt(6.0 / static_cast<double>(spec.c_in + spec.c_out));  // Glorot uniform
      m.uniform_(-bound, bound);
    }
  }
  w = register_parameter("w", m);
  b = register_parameter("b", torch::zeros({spec.c_out}));
  init_spectral(spec.c_out, SpectralOptions{spec.spec_norm, false, spec.spec_iter, spec.spec_norm_val});
}

torch::Tensor FCImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 2 || x.size(1) != spec_.c_in)
    throw std::invalid_argument("fc layer expects [B, " + std::to_string(spec_.c_in) + "] input");
  return torch::matmul(x, effective_weight()) + b;
}

}  // namespace ebm
