// The model-description flags shared by `ebm info`, `ebm score` and other subcommands that read
// weights: they describe a raw checkpoint without ebm metadata (a converted original TF
// checkpoint, a reference-port .pt). A file with metadata needs none; a flag that contradicts its
// metadata is a usage error.
#pragma once

#include "models/checkpoint/model_file.h"
#include "models/config.h"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace ebm::cli {

struct ModelFlags {
  std::string arch;
  int label_size = 0;
  int num_filters = 0;
  int image_size = 0;
  bool no_spec_norm = false;
  bool no_cclass = false;
  bool leaky = false;
  bool attention = false;
  bool antialias = false;
  std::string tf_scope;

  // Adds the flags to a subcommand (and remembers the options to know which were given).
  void add_to(CLI::App* sub);
  bool any_given() const;

  // The config to load `info`'s file with: the file's own (checked against the given flags), or one
  // built from the flags for a raw file; nullopt for a raw file without --arch. Throws UsageError.
  std::optional<ModelConfig> resolve(const CheckpointInfo& info, const std::string& path) const;

 private:
  CLI::Option *arch_ = nullptr, *label_size_ = nullptr, *num_filters_ = nullptr, *image_size_ = nullptr,
              *no_spec_norm_ = nullptr, *no_cclass_ = nullptr, *leaky_ = nullptr, *attention_ = nullptr,
              *antialias_ = nullptr;
};

// Load options for a file: the resolved config only for raw files (ebm files carry their own).
LoadModelOptions load_options_for(const CheckpointInfo& info, const std::optional<ModelConfig>& config,
                                  const std::string& tf_scope);

}  // namespace ebm::cli
