// A restricted unpickler for what torch.save writes for a state_dict: dicts / OrderedDicts,
// tuples, lists, strings, numbers and tensors (torch._utils._rebuild_tensor_v2 over storages kept
// as separate zip records). It exists because LibTorch's own torch::pickle_load turns every
// collections.OrderedDict into None — and `torch.save(model.state_dict())` is an OrderedDict — so
// the most common .pt file cannot be read through it. Being restricted is also a safety property:
// no arbitrary global is ever resolved, so a hostile .pt cannot make us run anything; anything
// outside the whitelist is an error naming the global.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ebm {

class PickleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PyValue;
using PyRef = std::shared_ptr<PyValue>;

// The few Python values a state_dict pickle contains.
struct PyValue {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Tensor, StorageType };
  Kind kind = Kind::None;
  std::int64_t i = 0;  // Bool, Int
  double f = 0;        // Float
  std::string s;       // String; Global "module.name"
  std::vector<PyRef> items;                    // Tuple, List
  std::vector<std::pair<PyRef, PyRef>> dict;   // Dict, in insertion order
  torch::Tensor tensor;                        // Tensor
  torch::ScalarType dtype = torch::kFloat32;   // StorageType
};

std::string kind_name(PyValue::Kind k);

// Returns the storage tensor (1-D, `numel` elements of `dtype`) saved under record `key`.
using StorageLoader = std::function<torch::Tensor(const std::string& key, torch::ScalarType dtype, std::int64_t numel)>;

// Runs the pickle program in `bytes` (protocols 2-5) and returns its result. Throws PickleError on
// malformed input or on any global outside the whitelist.
PyRef unpickle(const std::string& bytes, const StorageLoader& load_storage);

}  // namespace ebm
