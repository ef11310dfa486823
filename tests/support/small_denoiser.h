// A tiny denoising concept model file (what `ebm train --objective dsm` ships, at 4 filters and random
// weights) for tests that run the real binaries on noise ladders: it loads and samples in
// milliseconds, its label schema names the cubes concept (so `ebm eval` grades it), and its seed makes
// the file the same on every run.
#pragma once

#include "engine/data/cubes_scene.h"
#include "models/denoising_energy.h"
#include "models/registry.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace ebm::test {

// network_rms: the RMS of the network's share of σ·∇E on noise at σ = 0.5 (the trainer calibrates it to
// 0.2 before training). At random weights and an uncalibrated scale that share is tiny next to the
// Gaussian prior's (RMS ~1): then the label, and so guidance, would not change an 8-bit sample.
inline void save_small_denoiser(const std::string& path, const std::string& concept, uint64_t seed,
                                double sigma_min = 0.05, double sigma_max = 1.0, double network_rms = 1.0,
                                double guidance = 1.0) {
  const auto c = data::cubes_concept_from_string(concept);
  DenoisingSettings set;
  set.guidance = guidance;
  set.concept_size = data::label_size(c);
  set.sigma_min = sigma_min;
  set.sigma_max = sigma_max;
  // The trainer's schema: the concept's slots, then the null flag and the σ features.
  LabelSchema schema = data::cubes_schema(c);
  schema.slots.push_back({"dsm_null", SlotKind::Continuous, 0.f, 1.f, {}});
  for (int k = 0; k < set.sigma_features; ++k)
    schema.slots.push_back({"dsm_sigma_" + std::to_string(k), SlotKind::Continuous, -1.f, 1.f, {}});
  ModelConfig cfg = ModelConfig::defaults_for(Arch::CubesNet);
  cfg.num_filters = 4;
  cfg.label_size = set.network_label_size();
  cfg.spec_norm = false;
  cfg.energy_kind = EnergyKind::Denoising;
  torch::manual_seed(seed);
  DenoisingEnergy e(make_network(cfg, schema), set);
  {
    // At init the residual branches' second convolution is zero (the original's init, as training
    // starts), and with it the only place the label enters: random weights there (and in the label
    // gains) make the energy depend on the label as a trained model's does — so a label, or
    // guidance, changes the samples.
    torch::NoGradGuard no_grad;
    auto ends = [](const std::string& s, const std::string& tail) {
      return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
    };
    for (auto& p : e->named_parameters()) {
      if (ends(p.key(), "_res_c2.c")) p.value().normal_(0.0, 0.2);
      if (ends(p.key(), ".g") || ends(p.key(), ".gb")) p.value().normal_(0.0, 1.0);
    }
  }
  const auto x = torch::rand({4, 3, cfg.image_size, cfg.image_size});
  e->calibrate_scale(x, torch::rand({4, set.concept_size}), 0.5, network_rms);
  save_denoising_energy(path, *e);
}

}  // namespace ebm::test
