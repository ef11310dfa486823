#include "engine/energy/denoising_model.h"

#include "engine/energy/noise_level.h"
#include "models/module_state.h"
#include "models/registry.h"

#include <stdexcept>

namespace ebm {

DenoisingModel::DenoisingModel(DenoisingEnergy energy) : energy_(std::move(energy)) {
  const auto& net = energy_->network();
  energy_->train(false);
  info_.channels = net.config().num_channels;
  info_.image_size = net.config().image_size;
  info_.label_size = energy_->settings().concept_size;
  info_.attention_masks = 0;
  info_.denoising = true;
  info_.guidance = energy_->settings().guidance;
  info_.guidance_interval = energy_->settings().guidance_interval;
  info_.sigma_min = energy_->settings().sigma_min;
  info_.sigma_max = energy_->settings().sigma_max;
  const auto mean = energy_->data_mean().to(torch::kCPU, torch::kFloat).contiguous().reshape({-1});
  info_.data_mean.assign(mean.data_ptr<float>(), mean.data_ptr<float>() + mean.numel());
  info_.schema = net.schema();
  // Users see only the concept slots; the null flag and σ features are internal.
  if (static_cast<int>(info_.schema.slots.size()) > info_.label_size) info_.schema.slots.resize(info_.label_size);
}

torch::Tensor DenoisingModel::energy(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor&,
                                     double sigma) {
  require_noise_level(sigma);
  return energy_->energy(x, label, torch::full({}, sigma, x.options()));
}

torch::Tensor DenoisingModel::energy_at(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor&,
                                        const torch::Tensor& sigma) {
  return energy_->energy(x, label, sigma);
}

void DenoisingModel::to_device(const torch::Device& device) { energy_->to(device); }

std::shared_ptr<EnergyModel> DenoisingModel::replicate() const {
  const NetworkImpl& net = energy_->network();
  // settings() already holds what was set after construction (data statistics, guidance); the
  // learned scale and every weight come with copy_module_state.
  auto copy = without_touching_cpu_rng([&] {
    return DenoisingEnergy(make_network(net.config(), net.schema()), energy_->settings(), 0.0);
  });
  copy->to(energy_->log_scale.device());
  copy_module_state(*energy_, *copy);
  return std::make_shared<DenoisingModel>(copy);
}

std::shared_ptr<DenoisingModel> load_denoising_model(const std::string& path) {
  return std::make_shared<DenoisingModel>(load_denoising_energy(path));
}

}  // namespace ebm
