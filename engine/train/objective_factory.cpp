#include "engine/train/objective_factory.h"

#include "engine/train/cd_objective.h"
#include "engine/train/dsm_objective.h"
#include "models/registry.h"

#include <ATen/CPUGeneratorImpl.h>

namespace ebm::train {

namespace {

// The DSM network's label schema: the concept's slots, then the null flag and the σ features
// (see denoising_energy.h); tools show only the first concept_size slots.
LabelSchema dsm_schema(LabelSchema concept, int sigma_features) {
  LabelSchema s = std::move(concept);
  s.slots.push_back({"dsm_null", SlotKind::Continuous, 0.f, 1.f, {}});
  for (int k = 0; k < sigma_features; ++k)
    s.slots.push_back({"dsm_sigma_" + std::to_string(k), SlotKind::Continuous, -1.f, 1.f, {}});
  return s;
}

}  // namespace

std::unique_ptr<Objective> make_objective(const TrainOptions& opt, TrainingSource& data, const torch::Device& device,
                                          torch::Generator& device_gen, torch::Generator& cd_cpu_gen,
                                          int64_t calibration_batch, uint64_t calibration_seed) {
  ModelConfig mc = ModelConfig::defaults_for(data.image_size() == 128 ? Arch::ResNet128 : Arch::CubesNet);
  mc.num_filters = opt.num_filters;
  const LabelSchema schema = data.schema();
  const int L = schema.size();
  if (opt.objective == "cd") {
    mc.label_size = L;
    mc.spec_norm = opt.spec_norm;
    mc.energy_kind = EnergyKind::Contrastive;
    auto net = make_network(mc, schema);
    net->set_checkpoint_activations(opt.checkpoint_activations);
    return std::make_unique<CdObjective>(net, opt, device, device_gen, cd_cpu_gen);
  }
  DenoisingSettings s;
  s.sigma_min = opt.sigma_min;
  s.sigma_max = opt.sigma_max;
  s.sigma_features = opt.sigma_features;
  s.concept_size = L;
  s.mean = data.channel_mean();
  s.sigma_data = data.pixel_std();
  mc.label_size = s.network_label_size();
  mc.spec_norm = false;  // training.md: spectral norm keeps the score far too small to learn in time
  mc.energy_kind = EnergyKind::Denoising;
  const auto net_schema = dsm_schema(schema, s.sigma_features);
  auto net = make_network(mc, net_schema);
  auto ema = make_network(mc, net_schema);
  net->set_checkpoint_activations(opt.checkpoint_activations);  // the EMA copy is never differentiated
  auto calib_gen = at::detail::createCPUGenerator(calibration_seed);
  auto calib = data.sample(calibration_batch, calib_gen, 0);
  return std::make_unique<DsmObjective>(DenoisingEnergy(net, s), DenoisingEnergy(ema, s), opt, device, device_gen,
                                        calib.images, calib.labels);
}

}  // namespace ebm::train
