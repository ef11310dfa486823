// Model files: a network plus everything needed to rebuild it. Saved as safetensors whose metadata
// carries the ModelConfig and LabelSchema, so `ebm score model.safetensors` needs no flags. Loading
// also accepts what other tools write:
//   (a) our safetensors (metadata "ebm.format_version"), module or TF names;
//   (b) raw safetensors with TF-scope names (a converted original checkpoint) — needs a config;
//   (c) raw safetensors with module names (e.g. written by the reference port) — needs a config;
//   (d) a PyTorch .pt state_dict (torch.save(model.state_dict())), with or without the `layers.`
//       or DataParallel `module.` prefixes — needs a config.
// Loading never returns a half-initialised model: the network is built and filled completely, and
// every mismatch (missing tensor, wrong shape, unexpected tensor) is an error before it is returned.
#pragma once

#include "models/checkpoint/safetensors.h"
#include "models/config.h"
#include "models/label_schema.h"
#include "models/network.h"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ebm {

// A file that cannot become a model (wrong format, wrong or missing config, mismatched tensors).
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Metadata keys written by save_model (all values are strings, as safetensors requires).
constexpr const char* kMetaFormatVersion = "ebm.format_version";  // "1"
constexpr const char* kMetaConfig = "ebm.config";                  // ModelConfig JSON
constexpr const char* kMetaSchema = "ebm.schema";                  // LabelSchema JSON
constexpr const char* kMetaNames = "ebm.names";                    // "module" | "tf"
constexpr const char* kMetaTfScope = "ebm.tf_scope";               // with names "tf"
constexpr const char* kMetaTraining = "ebm.training";              // optional JSON from the trainer
constexpr int kModelFormatVersion = 1;

enum class NameStyle { Module, Tf };

struct SaveModelOptions {
  NameStyle names = NameStyle::Module;
  std::string tf_scope = "context_0";  // with NameStyle::Tf
  Metadata extra;                       // e.g. {kMetaTraining, json}; "ebm.*" keys other than ebm.training are reserved
};

// Writes the network's parameters and buffers (raw weights + spectral-norm u, never the cached W/σ)
// atomically. Throws CheckpointError / FileError.
void save_model(const std::string& path, const NetworkImpl& network, const SaveModelOptions& options = {});

enum class CheckpointKind { EbmSafetensors, TfSafetensors, ModuleSafetensors, TorchPickle };
std::string to_string(CheckpointKind k);

struct LoadModelOptions {
  // Describes a file without metadata (b, c, d). For a file with metadata it must agree with it
  // (a contradiction is an error naming the field); leave it empty to take the file's.
  std::optional<ModelConfig> config;
  std::optional<LabelSchema> schema;  // overrides the default schema of a raw file
  std::string tf_scope;               // TF names: empty = detect from the file
  bool allow_missing = false;         // keep fresh values for tensors the file lacks
  bool allow_unused = false;          // ignore tensors the model does not have
};

struct LoadReport {
  CheckpointKind kind = CheckpointKind::EbmSafetensors;
  std::string tf_scope;               // the scope used, for TF-named files
  std::vector<std::string> loaded;    // module names filled from the file
  std::vector<std::string> missing;   // module names the file lacked (only with allow_missing)
  std::vector<std::string> unused;    // file names not used (TF optimizer slots always land here)
  std::vector<std::string> converted; // tensors whose dtype was converted (e.g. F16 → F32)
  Metadata metadata;                  // the file's metadata (empty for .pt)
};

struct LoadedModel {
  std::shared_ptr<NetworkImpl> network;
  LoadReport report;
};

// Loads any of (a)–(d) onto the CPU. Throws CheckpointError (content), FileError (I/O),
// SafetensorsError (corrupt safetensors).
LoadedModel load_model(const std::string& path, const LoadModelOptions& options = {});

// What a file is, without building a model (for `ebm info` and for merging CLI flags with metadata).
struct CheckpointInfo {
  CheckpointKind kind = CheckpointKind::EbmSafetensors;
  Metadata metadata;
  std::optional<ModelConfig> config;  // from metadata
  std::optional<LabelSchema> schema;  // from metadata
  NameStyle names = NameStyle::Module;
  std::string tf_scope;               // TF-named files: from metadata or detected
  std::vector<TensorInfo> tensors;    // name, dtype, shape (offsets only for safetensors)
};
CheckpointInfo inspect_checkpoint(const std::string& path);

// The tensors of a file under their stored names (a .pt dict or a safetensors map), for tools.
TensorMap read_checkpoint_tensors(const std::string& path, CheckpointKind* kind = nullptr);

// A model's full state (parameters then buffers) under module names, detached, on the CPU.
TensorMap module_state(const NetworkImpl& network);

}  // namespace ebm
