// The one rule for the noise level a denoising (energy-parameterized diffusion) model is evaluated at:
// it must be positive, which a constant Langevin schedule (sigma 0) is not. Shared by the sampler's
// step and the model itself, so both say the same thing.
#pragma once

namespace ebm {

// Throws std::invalid_argument naming the value and the fix (an annealed schedule) when !(sigma > 0).
void require_noise_level(double sigma);

}  // namespace ebm
