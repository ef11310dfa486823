// DenoisingEnergy: an energy-parameterized diffusion model (Du et al. 2023, "Reduce, Reuse,
// Recycle") built on an original network (CubesNet). It is the model of `ebm train --objective dsm`
// and what the sampler loads for ModelConfig.energy_kind == Denoising (engine/energy/denoising_model.h
// adapts it to the sampler). One class serves both, so trainer and sampler agree on how the noise
// level enters.
//
// The energy of an image x ∈ [0,1]^D under label c at noise level σ:
//
//   E(x, c, σ) = ½‖x − μ‖² / (σ² + σ_d²)                          ← prior_energy: the exact energy of
//                                                                    a Gaussian N(μ, σ_d²) noised by σ
//              + (s / σ) · N( c_in·(x − μ), [c·(1−n), n, φ(σ)] )  ← residual_energy: the network
//
//   μ [3]       per-channel data mean; σ_d the data's per-pixel std (measured from the training data)
//   c_in        1 / sqrt(σ² + σ_d²): the network always sees unit-variance input
//   s           exp(log_scale), a learned scalar (calibrated at init so the network's share of the
//               score starts at RMS ≈ 0.2 — CubesNet's raw input gradient is ~1e-6 of what is needed)
//   N(·, ℓ)     the network's scalar output, NetworkImpl::energy(x, ℓ)
//   n           the null flag: 1 = unconditional (label dropped during training, c ignored)
//   φ(σ)        `sigma_features` label slots: with t = 2·(ln σ − ln σ_min)/(ln σ_max − ln σ_min) − 1
//               (t ∈ [−1, 1] over the trained range), φ = [t, sin(πt), cos(πt), sin(2πt), cos(2πt), …]
//               truncated to sigma_features entries.
//
// So the network's label has label_size = concept_size + 1 + sigma_features slots, in that order
// (concept slots, null flag, σ features); ModelConfig.label_size records that total. The 1/σ makes
// σ·∇E an ε-prediction, the quantity the loss regresses (denoising score matching):
//     x_t = x0 + σ·ε,   loss = mean ‖σ·∇ₓE(x_t, c, σ) − ε‖² / D.
//
// Composition: energies of several models are summed at the SAME σ. Each full energy carries its
// own prior, so a sum of n models has n priors (an n-times sharper Gaussian); a product of experts
// with one shared prior is prior_energy + Σ wᵢ·residual_energyᵢ. Energies of one model are comparable
// across labels at one σ only up to a label-dependent offset (the network's constant term).
//
// Saving: the network goes through save_model() (all weights); μ, σ_d, log_scale and the settings
// above travel as JSON in the metadata key "denoising" (kMetaDenoising), so a model file is
// self-describing. load_denoising_energy() reads both.
#pragma once

#include "models/guidance.h"
#include "models/network.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <array>
#include <memory>
#include <string>

namespace ebm {

constexpr const char* kMetaDenoising = "denoising";

struct DenoisingSettings {
  double sigma_min = 0.01;  // trained range of σ (t = −1 … 1)
  double sigma_max = 1.0;
  int sigma_features = 3;   // φ(σ) slots
  int concept_size = 2;     // label slots of the concept (2 position, 1 size, 3 shape, 20 colour)
  double sigma_data = 0.2;  // σ_d
  std::array<double, 3> mean = {0.5, 0.5, 0.5};  // μ per channel
  // Classifier-free guidance the model is sampled with by default (ModelInfo::guidance; a recipe
  // term may set its own). Measured per model: without guidance an under-trained model's samples from
  // noise fade to the empty floor (docs/training.md, "Guidance").
  double guidance = 1.0;
  // The noise levels at which that guidance applies (ModelInfo::guidance_interval; "guidance_interval"
  // in the metadata, absent = every σ).
  GuidanceInterval guidance_interval;
  // The network's label size for these settings.
  int network_label_size() const { return concept_size + 1 + sigma_features; }
  void validate() const;  // throws std::invalid_argument naming the field
};
void to_json(nlohmann::json& j, const DenoisingSettings& s);
void from_json(const nlohmann::json& j, DenoisingSettings& s);

class DenoisingEnergyImpl : public torch::nn::Module {
 public:
  // `net` must be an energy network whose label_size equals settings.network_label_size().
  DenoisingEnergyImpl(std::shared_ptr<NetworkImpl> net, DenoisingSettings settings, double log_scale = 0.0);

  // E(x, c, σ): x [B,C,H,W]; label [B, concept_size] or undefined (= unconditional);
  // sigma: a [B] tensor or a 0-dim tensor (same σ for the batch); null_mask (optional, [B], 1 =
  // unconditional for that row: training's label dropout). Returns [B, 1].
  torch::Tensor energy(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& sigma,
                       const torch::Tensor& null_mask = {});
  torch::Tensor energy(const torch::Tensor& x, const torch::Tensor& label, double sigma);
  torch::Tensor prior_energy(const torch::Tensor& x, const torch::Tensor& sigma) const;
  torch::Tensor residual_energy(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& sigma,
                                const torch::Tensor& null_mask = {});

  // The label the network sees: [B, network_label_size()] (see the header comment).
  torch::Tensor network_label(const torch::Tensor& label, const torch::Tensor& sigma, int64_t batch,
                              const torch::Device& device, const torch::Tensor& null_mask = {}) const;
  // φ(σ) for a [B] σ tensor: [B, sigma_features].
  torch::Tensor sigma_features(const torch::Tensor& sigma) const;

  // Conditioning init for training from scratch: every res_c2 output scale becomes 1 + label·g
  // with g = 0, cb = 1 (the original's cb = 0, g = 1 would make a position model's scale x + y,
  // switching blocks off where x ≈ −y, and give the σ/null slots a scale of their own).
  void init_conditioning();
  // Sets log_scale so that the network's part of σ·∇E has RMS `target_rms` on `x0` (data) at σ.
  void calibrate_scale(const torch::Tensor& x0, const torch::Tensor& label, double sigma, double target_rms = 0.2);

  // Takes another model's data statistics (μ, σ_d): a run started from a model file keeps the
  // input normalisation that model's network was trained with, whatever its own data pool measured.
  void set_data_statistics(const std::array<double, 3>& mean, double sigma_data);
  // The recommended sampling guidance saved with the model (DenoisingSettings::guidance).
  void set_guidance(double guidance);
  // μ as a [1,3,1,1] float buffer on the model's device (moves with it): use it instead of building
  // a tensor from settings().mean, which would copy from the host on every call.
  const torch::Tensor& data_mean() const { return mean_; }

  NetworkImpl& network() { return *net_; }
  const NetworkImpl& network() const { return *net_; }
  std::shared_ptr<NetworkImpl> network_ptr() const { return net_; }
  const DenoisingSettings& settings() const { return settings_; }
  // The settings with the learned scale, as saved in the model file's "denoising" metadata.
  nlohmann::json metadata_json() const;
  torch::Tensor log_scale;  // learned scalar parameter

 private:
  std::shared_ptr<NetworkImpl> net_;
  DenoisingSettings settings_;
  torch::Tensor mean_;  // [1,C,1,1] buffer
};
TORCH_MODULE(DenoisingEnergy);

// Saves `e` as a self-describing model file (weights + ModelConfig + schema + "denoising" JSON).
void save_denoising_energy(const std::string& path, const DenoisingEnergyImpl& e, const nlohmann::json& training = {});
// Loads a file written by save_denoising_energy (onto the CPU). Throws std::runtime_error naming the
// file when it lacks the "denoising" metadata or its config is not a Denoising energy.
DenoisingEnergy load_denoising_energy(const std::string& path);

}  // namespace ebm
