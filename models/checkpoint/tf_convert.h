// Original TensorFlow checkpoint → our model file (`ebm convert`). Loading into a network without
// writing a file is load_tf_network in tf_import.h.
#pragma once

#include "models/checkpoint/model_file.h"
#include "models/checkpoint/tf_import.h"
#include "models/config.h"

#include <string>

namespace ebm {

// Metadata keys `convert_tf_checkpoint` adds next to ModelFile's own.
constexpr const char* kMetaTfSource = "tf_import.source";    // the checkpoint prefix's file name
constexpr const char* kMetaTfSkipped = "tf_import.skipped";  // JSON {tf name: why it was skipped}

// load_tf_network, then save_model(out) atomically; the model file carries config and schema, so it
// loads without flags afterwards. Returns what was loaded and skipped.
TfImportReport convert_tf_checkpoint(const std::string& path, const ModelConfig& config, const std::string& out,
                                     const std::string& scope = "", const SaveModelOptions& save = {});

}  // namespace ebm
