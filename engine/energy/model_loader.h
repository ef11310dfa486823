// Loading a model file as an EnergyModel for sampling: any file models/checkpoint/model_file.h
// reads (our safetensors with config metadata, converted TF checkpoints, reference-port .pt files
// together with a config), and original TensorFlow checkpoints (prefix, .index file or their
// directory: read as CubesNet with the label size found in the checkpoint unless a config is given).
#pragma once

#include "engine/energy/energy_model.h"
#include "models/config.h"

#include <memory>
#include <optional>
#include <string>

namespace ebm {

struct LoadedEnergyModel {
  std::shared_ptr<EnergyModel> model;
  std::string sha256;   // of the file's bytes
  std::string summary;  // "cubesnet, label 2 (position), 64×64" for logs
  ModelConfig config;   // the network's architecture and flags (from the file, or as given)
  std::string format;   // "ebm safetensors", "PyTorch .pt", "TensorFlow checkpoint", …
};

// Throws std::runtime_error (or a subclass) naming the file and what is wrong with it. `config`
// describes files that carry none (raw safetensors, .pt). The file is hashed here, once: the hash
// travels with the model (cmd::AddModel) into the recipes that name it.
LoadedEnergyModel load_energy_model(const std::string& path, const std::optional<ModelConfig>& config = {});

// Whether `path` names an original TensorFlow checkpoint (a prefix, its .index file or its
// directory), which is no single file: front ends check a path before loading it.
bool looks_like_model_path(const std::string& path);
// Whether `path` is the grading classifier of `ebm eval` (models/cubes_classifier.h) rather than an
// energy model: a model directory's scan skips it. A file that cannot be read counts as a model, so
// loading it says what is wrong.
bool is_grading_classifier_file(const std::string& path);

}  // namespace ebm
