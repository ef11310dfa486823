// DenoisingModel: a trained DenoisingEnergy (models/denoising_energy.h, `ebm train --objective dsm`)
// as the sampler's EnergyModel (energy_model.h), so compositions, the session and `ebm sample` use
// denoising models like any other energy. The sampler passes its schedule's noise level σ; every
// term of a composition is evaluated at that same σ (see models/denoising_energy.h on composing).
// info().label_size is the concept's size: the null flag and σ slots are filled in here.
#pragma once

#include "engine/energy/energy_model.h"
#include "models/denoising_energy.h"

#include <memory>
#include <string>

namespace ebm {

class DenoisingModel : public EnergyModel {
 public:
  explicit DenoisingModel(DenoisingEnergy energy);

  // label [B, concept_size], or undefined for the unconditional energy. sigma must be > 0 (a
  // denoising model needs an annealed schedule); throws std::invalid_argument otherwise.
  torch::Tensor energy(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& attention_mask,
                       double sigma) override;
  // σ > 0 is the caller's to check here (the sampler does, on the host, before each step).
  torch::Tensor energy_at(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& attention_mask,
                          const torch::Tensor& sigma) override;
  ModelInfo info() const override { return info_; }
  void to_device(const torch::Device& device) override;
  std::shared_ptr<EnergyModel> replicate() const override;

  DenoisingEnergyImpl& denoising() { return *energy_; }

 private:
  DenoisingEnergy energy_;
  ModelInfo info_;
};

// load_denoising_energy + the adapter (CPU; call to_device to move it).
std::shared_ptr<DenoisingModel> load_denoising_model(const std::string& path);

}  // namespace ebm
