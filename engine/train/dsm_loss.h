// Denoising score matching on an energy (Vincent 2011; energy-parameterized as in Du et al. 2023):
//   x_t = x0 + σ·ε,   s(x_t) = −∇ₓ E(x_t, σ),   loss = mean_b  mean_pixels (σ·s + ε)²
// i.e. σ·s regresses −ε. Minimised exactly by the score of the σ-noised data distribution; the
// gradient flows into E through the input gradient (double backward). Weighting across σ comes
// from how σ is drawn (sample_sigmas): log-normal around a median, truncated to the trained range.
#pragma once

#include <torch/torch.h>

#include <functional>

namespace ebm::train {

// Energy of noisy images at noise levels: x [B,...], sigma [B] → [B] or [B,1]. Must be
// differentiable twice w.r.t. x (the loss differentiates its input gradient).
using SigmaEnergyFn = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& sigma)>;

struct DsmLoss {
  torch::Tensor loss;        // scalar, differentiable w.r.t. the energy's parameters
  torch::Tensor per_sample;  // [B] detached
};
// sigma [B] > 0, eps shaped like x0 (standard normal noise, supplied by the caller). weight
// (optional, [B]): the loss is mean_b weight_b·per_sample_b (per_sample stays unweighted, so logs of
// runs with different weightings compare).
DsmLoss dsm_loss(const SigmaEnergyFn& energy, const torch::Tensor& x0, const torch::Tensor& sigma,
                 const torch::Tensor& eps, const torch::Tensor& weight = {});

// The "edm" weighting of TrainOptions::dsm_weighting for noise levels sigma [B]: (σ² + σ_d²)/σ_d².
torch::Tensor edm_weight(const torch::Tensor& sigma, double sigma_data);

// The same loss for the Gaussian prior energy ½‖x − μ‖²/(σ² + σ_d²) alone, in closed form (its
// gradient is (x − μ)/(σ² + σ_d²)), as a detached scalar: what a denoising energy whose network
// learned nothing scores on this batch (DenoisingEnergy's first term; the trainer logs it as
// prior_loss). mean: per-channel μ as [1,C,1,1] on x0's device (DenoisingEnergyImpl::data_mean()).
torch::Tensor gaussian_prior_dsm_loss(const torch::Tensor& x0, const torch::Tensor& sigma, const torch::Tensor& eps,
                                      const torch::Tensor& mean, double sigma_data);

// n noise levels: ln σ ~ N(ln median, log_std²) truncated to [lo, hi] (inverse-CDF draw, no
// rejection loop), from `gen` on `options`' device.
torch::Tensor sample_sigmas(int64_t n, double median, double log_std, double lo, double hi, torch::Generator& gen,
                            const torch::TensorOptions& options);

}  // namespace ebm::train
