#include "engine/energy/network_model.h"

#include "models/module_state.h"
#include "models/registry.h"

#include <stdexcept>

namespace ebm {

NetworkModel::NetworkModel(std::shared_ptr<NetworkImpl> net) : net_(std::move(net)) {
  if (!net_) throw std::invalid_argument("NetworkModel: no network");
  const ModelConfig& c = net_->config();
  if (!c.is_energy())
    throw std::invalid_argument(to_string(c.arch) + " is not an energy model; sampling needs cubesnet or resnet128");
  if (c.energy_kind == EnergyKind::Denoising)
    throw std::invalid_argument("a denoising energy needs its noise-level wrapper; load it with load_energy_model()");
  // Sampling evaluates the network as the original's test-time graph: no dropout.
  net_->eval();
}

torch::Tensor NetworkModel::energy(const torch::Tensor& x, const torch::Tensor& label,
                                   const torch::Tensor& attention_mask, double /*sigma*/) {
  return net_->energy(x, label, attention_mask);
}

torch::Tensor NetworkModel::energy_at(const torch::Tensor& x, const torch::Tensor& label,
                                      const torch::Tensor& attention_mask, const torch::Tensor& /*sigma*/) {
  return net_->energy(x, label, attention_mask);
}

ModelInfo NetworkModel::info() const {
  const ModelConfig& c = net_->config();
  ModelInfo i;
  i.channels = c.num_channels;
  i.image_size = c.image_size;
  i.label_size = c.cclass ? c.label_size : 0;
  i.attention_masks = c.comb_mask ? c.cond_func : 0;
  i.denoising = false;
  i.schema = net_->schema();
  return i;
}

void NetworkModel::begin_chain() { net_->cache_spectral_weights(/*update_u=*/false); }

void NetworkModel::end_chain() { net_->clear_spectral_cache(); }

void NetworkModel::to_device(const torch::Device& device) {
  const auto params = net_->parameters();
  if (!params.empty() && params.front().device() == device) return;
  // Cached W/σ live on the old device: drop and rebuild them after the move.
  const bool cached = net_->spectral_cache_active();
  if (cached) net_->clear_spectral_cache();
  net_->to(device);
  if (cached) net_->cache_spectral_weights(false);
}

std::shared_ptr<EnergyModel> NetworkModel::replicate() const {
  // Same config and schema, fresh tensors (a cached W/σ is not copied: the copy's chain caches its own).
  auto copy = without_touching_cpu_rng([&] { return make_network(net_->config(), net_->schema()); });
  const auto params = net_->parameters();
  if (!params.empty()) copy->to(params.front().device());
  copy_module_state(*net_, *copy);
  return std::make_shared<NetworkModel>(copy);
}

}  // namespace ebm
