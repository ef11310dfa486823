// Sampling a noise-conditioned energy from noise: predictor–corrector over a geometric ladder of
// noise levels σ_max = σ_0 > σ_1 > … > σ_{L−1} = σ_min (Song & Ermon 2019; Song et al. 2021),
// every move built on the shared langevin_step():
//   corrector (annealed Langevin), `corrector_steps` per level:  x ← x + √(2ε)·z − ε·∇E(·, σ_i),
//       ε = r·σ_i² (noise first, then the gradient at the noised point, as langevin_step does);
//   predictor (reverse VE diffusion, ancestral) to the next level:
//       x ← x − (σ_i² − σ_{i+1}²)·∇E(x, σ_i) + √(σ_i² − σ_{i+1}²)·z;
//   final denoise (Tweedie): x ← x − σ_min²·∇E(x, σ_min), then clamp to [0, 1].
// The energy is any function of (x, σ): one model, a guided pair, or a composition summed at the
// same σ. x_init is the caller's draw from the σ_max-noised prior (e.g. μ + √(σ_max² + σ_d²)·N).
#pragma once

#include "engine/train/dsm_loss.h"

#include <torch/torch.h>

#include <vector>

namespace ebm::train {

struct AnnealedOptions {
  double sigma_max = 1.0, sigma_min = 0.01;
  int levels = 40;
  int corrector_steps = 1;
  double r = 0.1;          // corrector step ε = r·σ²
  bool predictor = true;   // false: pure annealed Langevin (corrector only)
  bool denoise = true;     // final Tweedie step
};


// Noise from `gen` (on x_init's device). Returns detached samples in [0, 1].
torch::Tensor sample_annealed(const SigmaEnergyFn& energy, torch::Tensor x_init, const AnnealedOptions& opt,
                              torch::Generator& gen);

}  // namespace ebm::train
