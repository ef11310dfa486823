// Loading a model file into something the engine can sample, through the engine's loader
// (engine/energy/model_loader.h: safetensors, .pt, denoising energies, TensorFlow checkpoints),
// plus the Models panel's entry. Runs on a background task, never on the GUI thread.
#pragma once

#include "app/studio/controller.h"

#include <memory>
#include <string>

namespace ebm::studio {

struct LoadedEnergyModel {
  ModelEntry entry;  // state Ready, with config, schema, info and the file's kind
  std::shared_ptr<EnergyModel> model;
};

// Throws std::exception with a message that names the file and says what is wrong (missing file,
// not a model file, tensors that do not fit the config …).
LoadedEnergyModel load_energy_model_file(const std::string& path);

}  // namespace ebm::studio
