// Loading the original TensorFlow checkpoints into our networks: every parameter and buffer a
// network names in its TF map (NetworkImpl::tf_names — conv weights HWIO → OIHW, spectral-norm u
// vectors kept as they are) is read from a V2 bundle, checked, and copied in; everything else in the
// checkpoint (Adam slots, beta powers, other scopes, variables this model does not use) is listed.
#pragma once

#include "models/checkpoint/tf_bundle.h"
#include "models/config.h"
#include "models/label_schema.h"
#include "models/network.h"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ebm {

// A checkpoint that does not fit the network (missing variables, wrong shapes, wrong scope); the
// message names the checkpoint, the variables and the flag that probably needs changing.
struct TfImportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TfImportReport {
  std::string prefix;  // the resolved checkpoint prefix
  std::string scope;   // the TF scope the weights were taken from
  std::vector<std::pair<std::string, std::string>> loaded;   // (module name, TF name)
  std::vector<std::pair<std::string, std::string>> skipped;  // (TF name, why it was not used)
};

// Why a checkpoint entry is no model weight of `scope`: "optimizer state (Adam slot)", "optimizer
// state (beta power)", "other scope 'context_1'", a reader skip reason, or "" for entries in scope.
std::string tf_bookkeeping_reason(const tf::BundleEntry& e, const std::string& scope);

// The scope holding the model weights: `requested` when not empty (it must exist), else the one
// detected from the names (see detect_tf_scope), else "context_0". Throws TfImportError.
std::string choose_tf_scope(const tf::BundleReader& reader, const std::string& requested);

// Copies the checkpoint's weights into `net` (on whatever device/dtype its tensors are). All tensors
// are read and checked first; on any error `net` is left unchanged. Throws TfImportError (does not
// fit), tf::TfBundleError (damaged files).
TfImportReport load_tf_checkpoint(NetworkImpl& net, const tf::BundleReader& reader, const std::string& scope = "");
TfImportReport load_tf_checkpoint(NetworkImpl& net, const std::string& path, const std::string& scope = "");

struct LoadedTfModel {
  std::shared_ptr<NetworkImpl> network;
  TfImportReport report;
};

// What the studio and other loaders call: builds the network for `config` (make_network) and fills
// it from the checkpoint at `path` (prefix, .index file or directory). `scope` empty = detected.
// Throws TfImportError, tf::TfBundleError (damaged files, before any network is built),
// std::invalid_argument (bad config).
LoadedTfModel load_tf_network(const std::string& path, const ModelConfig& config, const std::string& scope = "",
                              std::optional<LabelSchema> schema = {});

// The label size the checkpoint was trained with, read from the shape of its label-bias variables
// (`<scope>/*_res_c1/gb` is [label_size, c_in] with class conditioning); nullopt when they are 1-D
// (trained without class conditioning) or absent (CubesPredict).
std::optional<int> tf_label_size(const tf::BundleReader& reader, const std::string& scope);

}  // namespace ebm
