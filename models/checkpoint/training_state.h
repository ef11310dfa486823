// Resumable training state: the Adam optimizer's moments and step counts, plus whatever else the
// trainer needs to continue exactly where it stopped (replay buffer, RNG states, counters), in one
// safetensors file written atomically. Parameters are identified by their module names, not by
// pointers, so the state restores into a freshly built model + optimizer in a new process.
//
// Tensor names in the file: "adam.<param>.exp_avg", "adam.<param>.exp_avg_sq",
// "adam.<param>.max_exp_avg_sq" (amsgrad only), "extra.<name>" for the caller's tensors. Metadata:
// "ebm.format_version", "ebm.kind" = "training_state", "ebm.optimizer" (JSON: per group its options
// and parameter names; per parameter its step), "ebm.training" (the caller's JSON).
#pragma once

#include "models/checkpoint/safetensors.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace ebm {

class TrainingStateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TrainingExtras {
  TensorMap tensors;                               // e.g. replay buffer (U8), RNG state (U8)
  nlohmann::json info = nlohmann::json::object();  // e.g. {"iteration": 1200, "lr": 1e-4}
};

// Saves `optimizer`'s state for the parameters of `module` (names from module.named_parameters()).
// Throws TrainingStateError when the optimizer holds a parameter that `module` does not name.
void save_training_state(const std::string& path, const torch::optim::Adam& optimizer,
                         const torch::nn::Module& module, const TrainingExtras& extras = {});

// Restores into an Adam built over the same parameters of `module` (same groups, same order): the
// group options (lr, betas, eps, weight_decay, amsgrad) and each parameter's moments and step.
// Everything is checked before the optimizer is changed; on error it is left as it was.
// Returns the extras. Throws TrainingStateError / SafetensorsError / FileError.
TrainingExtras load_training_state(const std::string& path, torch::optim::Adam& optimizer,
                                   const torch::nn::Module& module);

// The global CPU generator's state as a U8 tensor and back, for TrainingExtras.
torch::Tensor cpu_rng_state();
void set_cpu_rng_state(const torch::Tensor& state);

}  // namespace ebm
