// Loading a model file into something the engine can sample: the network from the checkpoint
// reader (models/checkpoint/model_file.h: safetensors, .pt, with its config and label schema) wrapped
// as an EnergyModel. Runs on a background task, never on the GUI thread.
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
