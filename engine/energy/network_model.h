// NetworkModel: an EnergyModel backed by one of the original networks (CubesNet, ResNet128; see
// models/network.h). Maps the sampler's calls onto NetworkImpl: labels (none when cclass is off),
// comb_mask attention masks, and the once-per-chain spectral-norm weight cache.
#pragma once

#include "engine/energy/energy_model.h"
#include "models/network.h"

#include <memory>

namespace ebm {

class NetworkModel : public EnergyModel {
 public:
  // Throws std::invalid_argument for networks that are not energies (CubesNetGen, CubesPredict) or
  // denoising energies (those need the noise-level wrapper: load them with load_energy_model()).
  explicit NetworkModel(std::shared_ptr<NetworkImpl> net);

  torch::Tensor energy(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& attention_mask,
                       double sigma) override;
  torch::Tensor energy_at(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& attention_mask,
                          const torch::Tensor& sigma) override;  // σ is ignored: not a denoising model
  ModelInfo info() const override;
  // Caches W/σ of every spectrally normalised layer without advancing u: the chain stays a pure
  // function of its recipe (the original advanced u once per session.run).
  void begin_chain() override;
  void end_chain() override;
  void to_device(const torch::Device& device) override;
  std::shared_ptr<EnergyModel> replicate() const override;

  const std::shared_ptr<NetworkImpl>& network() const { return net_; }

 private:
  std::shared_ptr<NetworkImpl> net_;
};

}  // namespace ebm
