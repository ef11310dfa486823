// Parameter names: module names (`layers.c1_pre.c`, OIHW convs — the reference PyTorch port's
// state_dict and ours) ↔ the original TF variables (`context_0/c1_pre/cweight`, HWIO convs).
// A NameMap is the list of pairs for one network (NetworkImpl::tf_names, spec §7) plus the layout
// change per pair; it converts whole states both ways and reports what did not match, so callers can
// turn "missing" and "unused" into precise errors.
#pragma once

#include "models/checkpoint/safetensors.h"
#include "models/network.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ebm {

// How a tensor's memory layout differs between the two naming schemes.
enum class TfLayout {
  AsIs,      // FC weights ([in,out] on both sides), biases, gains, u vectors, gamma
  ConvHWIO,  // conv weight: TF [k,k,cin,cout] ↔ module [cout,cin,k,k]
};

struct NameMapEntry {
  std::string module;  // e.g. "layers.res_1_res_c2.g"
  std::string tf;      // e.g. "context_0/res_1_res_c2/g"
  TfLayout layout = TfLayout::AsIs;
};

// The result of converting a state from one naming to the other.
struct NameConversion {
  TensorMap tensors;                 // converted, keyed by the target naming
  std::vector<std::string> missing;  // target names the map expects but the source lacked
  std::vector<std::string> unused;   // source names the map does not know (Adam slots, extras …)
  bool complete() const { return missing.empty() && unused.empty(); }
};

class NameMap {
 public:
  NameMap() = default;
  // Builds a map from (module name, TF name) pairs; the layout follows from the module name (a
  // parameter called `c` is a conv weight). Throws std::invalid_argument on duplicate names.
  static NameMap from_pairs(const std::vector<std::pair<std::string, std::string>>& pairs);

  const std::vector<NameMapEntry>& entries() const& { return entries_; }
  // On a temporary map (`for (auto& e : name_map_for(net).entries())`) return by value, so the
  // loop does not iterate a destroyed vector.
  std::vector<NameMapEntry> entries() && { return std::move(entries_); }
  std::optional<std::string> tf_name(const std::string& module) const;
  std::optional<std::string> module_name(const std::string& tf) const;

  // module-named state → TF-named state (conv weights OIHW → HWIO), and back.
  NameConversion to_tf(const TensorMap& module_state) const;
  NameConversion to_module(const TensorMap& tf_state) const;

 private:
  std::vector<NameMapEntry> entries_;
};

// The map of a network under a TF scope ("context_0" for the cubes/CelebA energies and CubesNetGen,
// "context_3" for the original CubesPredict checkpoint).
inline NameMap name_map_for(const NetworkImpl& net, const std::string& scope = "context_0") {
  return NameMap::from_pairs(net.tf_names(scope));
}

// Layout conversion of one tensor (exposed for tests and tools). Throws std::invalid_argument when a
// conv weight is not 4-D.
torch::Tensor module_to_tf_layout(const torch::Tensor& t, TfLayout layout, const std::string& name);
torch::Tensor tf_to_module_layout(const torch::Tensor& t, TfLayout layout, const std::string& name);

// The TF scope that the model variables of a TF-named state live in: the first path component shared
// by the names that look like model variables (Adam slots and global counters are ignored). Empty
// when there is no such name; throws std::invalid_argument when several scopes hold model variables
// (a file holding two models needs --scope).
std::string detect_tf_scope(const std::vector<std::string>& names);

// True when most names look like TF variable paths (`scope/layer/var`), false for module names.
bool looks_tf_named(const std::vector<std::string>& names);

}  // namespace ebm
