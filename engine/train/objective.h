// Objective: one training recipe (contrastive divergence or denoising score matching) as the
// trainer's loop sees it: a step on a data batch, samples from noise for the preview grids, its
// resumable state, and the model file it ships. The loop (trainer.cpp) owns data, logging,
// checkpoints and timing; an objective owns the model, its optimizer and any sampler state.
#pragma once

#include "engine/dist/collective.h"
#include "models/checkpoint/safetensors.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace ebm::train {

class Objective {
 public:
  virtual ~Objective() = default;

  // Names of the statistics step() returns, in order ("loss" first).
  virtual std::vector<std::string> stat_names() const = 0;
  // One iteration on a batch (images [B,3,64,64] in [0,1], labels [B,L], both on the device).
  // Returns the statistics as a [K] float tensor on the device — no host sync, the loop fetches
  // them when it logs. `iteration` is 0-based (warm-up schedules).
  virtual torch::Tensor step(const torch::Tensor& images, const torch::Tensor& labels, int64_t iteration) = 0;
  // Samples from noise for the given labels [N,L] (device), using `gen` (device generator) for noise.
  virtual torch::Tensor sample(const torch::Tensor& labels, torch::Generator& gen) = 0;

  // Everything needed to continue the same trajectory (weights, optimizer, replay, EMA …) under
  // names that start with `prefix`.
  virtual void save_state(TensorMap& out, const std::string& prefix) const = 0;
  virtual void load_state(const TensorMap& in, const std::string& prefix) = 0;
  // Starts a fresh run from the weights of a model file this objective saved (save_model) — same
  // concept (any concept with a label of the same length when `across_concepts`), architecture and
  // width; throws std::invalid_argument naming what differs.
  virtual void init_from_model(const std::string& path, bool across_concepts) = 0;
  // The model the run ships (EMA weights for DSM), as a self-describing model file.
  virtual void save_model(const std::string& path, const nlohmann::json& training_info) const = 0;

  // Data-parallel training (several processes, dist/collective.h): every step averages the
  // gradients over the group between backward and the optimizer step, so the ranks' weights stay
  // identical. DSM draws its per-row noise for the whole group's batch and keeps this rank's rows:
  // N ranks of batch B then train exactly as one process of batch N·B. Null: one process.
  void set_data_parallel(dist::Collective* group) { group_ = group; }

 protected:
  int rank() const { return group_ ? group_->rank() : 0; }
  int world_size() const { return group_ ? group_->world_size() : 1; }
  // This rank's share of a draw over the whole group's rows ([world·B, ...] → [B, ...]).
  torch::Tensor my_rows(const torch::Tensor& all_rows) const;
  // Mean of the parameters' gradients over the group (a no-op for one process); parameters without
  // a gradient count as zero, as they would in one process of the combined batch.
  void average_gradients(const std::vector<torch::Tensor>& params) const;

  dist::Collective* group_ = nullptr;
};

// Helpers shared by the objectives: a module's parameters and buffers in and out of a TensorMap.
void put_module(TensorMap& out, const std::string& prefix, const torch::nn::Module& m);
// Throws std::invalid_argument naming the first missing or mis-shaped tensor.
void get_module(const TensorMap& in, const std::string& prefix, torch::nn::Module& m);

// For init_from_model: loads the file with `load`, turning any failure into std::invalid_argument
// that names `--init-from PATH`.
template <class Load>
auto load_init_source(const std::string& path, Load load) -> decltype(load(path)) {
  try {
    return load(path);
  } catch (const std::exception& e) {
    throw std::invalid_argument("--init-from " + path + ": " + e.what());
  }
}
// The error for a file that does not fit the run: "WHAT is HAVE but this run trains WANT; start
// from a model of the same SAME".
std::invalid_argument init_from_mismatch(const std::string& path, const std::string& what, const std::string& have,
                                         const std::string& want, const std::string& same);
// Parameters and buffers of `from` into `to` (same structure; throws naming a misfit tensor).
void copy_module(const torch::nn::Module& from, torch::nn::Module& to);

}  // namespace ebm::train
