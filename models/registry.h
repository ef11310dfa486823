// make_network: the one place that turns a ModelConfig (+ optional label schema) into a network.
// Engine, trainer, checkpoint loader and CLI all build models through it, so config validation and
// the default label schema are decided once.
#pragma once

#include "models/config.h"
#include "models/label_schema.h"
#include "models/network.h"

#include <memory>
#include <optional>

namespace ebm {

// Validates `config` (std::invalid_argument naming the field) and builds the network with fresh
// weights from the global Torch RNG (seed it with torch::manual_seed for reproducible inits).
// Default schema: cubes models → LabelSchema::for_label_size(label_size); resnet128 with 2 classes
// → celeba_attribute("attribute"); anything else → generic(label_size). A given schema must have
// label_size slots (cubespredict takes none).
std::shared_ptr<NetworkImpl> make_network(const ModelConfig& config, std::optional<LabelSchema> schema = {});

// The schema make_network would pick for `config`.
LabelSchema default_schema(const ModelConfig& config);

}  // namespace ebm
