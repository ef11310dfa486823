// Contrastive divergence, as the original train.py does it (spec §4.2), on a CubesNet:
//   1. chain starts: 0.5 + 0.5·N(0,1) per pixel; once the replay buffer holds more than a batch,
//      each start is replaced by a replayed sample with probability 1 − keep_ratio (0.95);
//   2. Langevin chain (langevin_step): noise N(0, 0.001²) before each gradient of the batch-sum
//      energy, x ← clamp(x − 100·∇E, 0, 1), 40–60 steps, spectral weights W/σ computed once per
//      iteration (TF evaluates the normalized weight once per session.run) and u advanced once;
//      on CUDA (opt.cuda_graph) one step is captured as a CUDA graph and replayed (chain_graph.h);
//   3. E+ = E(data), E− = E(stop_grad(chain end)) in one forward pass of both halves;
//   4. loss = ml·(mean E+ − mean E−) + l2·(mean E+² + mean E−²);
//   5. ClipAdam (lr 3e-4, β = (0, 0.99), per-element 3-std clip); the chain ends go to the replay
//      buffer (uint8, the original's /256 dequantisation by default).
#pragma once

#include "engine/train/chain_graph.h"
#include "engine/train/clip_adam.h"
#include "engine/train/objective.h"
#include "engine/train/train_options.h"
#include "models/network.h"
#include "models/replay_buffer.h"

#include <torch/torch.h>

#include <memory>

namespace ebm::train {

struct CdLoss {
  torch::Tensor loss;   // scalar, differentiable
  torch::Tensor e_pos;  // mean E+ (detached)
  torch::Tensor e_neg;  // mean E− (detached)
};
// e_pos, e_neg: [B] or [B,1] energies of data and of samples.
CdLoss cd_loss(const torch::Tensor& e_pos, const torch::Tensor& e_neg, double ml_coeff = 1.0, double l2_coeff = 1.0);

// Chain starts: row i comes from `replayed` when U_i > keep_ratio (U_i ~ U(0,1) from the CPU
// generator `gen`, as the original's numpy draw), else from `fresh`. Returns {mixed, mask [B] bool}.
std::pair<torch::Tensor, torch::Tensor> mix_replay(const torch::Tensor& fresh, const torch::Tensor& replayed,
                                                   double keep_ratio, torch::Generator& gen);

class CdObjective : public Objective {
 public:
  // device_gen draws Langevin noise and fresh starts (on the device); cpu_gen drives the replay draws.
  CdObjective(std::shared_ptr<NetworkImpl> net, const TrainOptions& opt, const torch::Device& device,
              torch::Generator device_gen, torch::Generator cpu_gen);

  std::vector<std::string> stat_names() const override { return {"loss", "e_pos", "e_neg", "replay_frac"}; }
  torch::Tensor step(const torch::Tensor& images, const torch::Tensor& labels, int64_t iteration) override;
  torch::Tensor sample(const torch::Tensor& labels, torch::Generator& gen) override;
  void save_state(TensorMap& out, const std::string& prefix) const override;
  void load_state(const TensorMap& in, const std::string& prefix) override;
  void save_model(const std::string& path, const nlohmann::json& training_info) const override;
  void init_from_model(const std::string& path, bool across_concepts) override;

  NetworkImpl& network() { return *net_; }
  ClipAdam& optimizer() { return *adam_; }
  const ReplayBuffer& replay() const { return replay_; }

  // How the last chain ran: "eager", "cuda graph", or "eager (graph capture failed: …)" — after a
  // failed capture the chains stay eager for the rest of the run.
  const std::string& chain_path() const { return chain_path_; }
  // Captures so far, of the training chain and of the sample chain together (tests).
  int graph_captures() const { return train_graph_.captures() + sample_graph_.captures(); }

 private:
  // `steps` Langevin steps from x under `labels` with noise from `gen`; weights cached for the chain.
  torch::Tensor chain(torch::Tensor x, const torch::Tensor& labels, int steps, torch::Generator& gen, bool update_u);
  // One step: noise from `gen`, energy gradient, update, clamp (the same call eagerly and captured).
  torch::Tensor langevin_update(const torch::Tensor& x, const torch::Tensor& labels, torch::Generator& gen) const;
  bool use_graph(const torch::Tensor& x, torch::Generator& gen) const;
  // Everything a captured step depends on but does not read from its input buffers.
  std::string graph_key(const torch::Tensor& x, const torch::Tensor& labels) const;

  std::shared_ptr<NetworkImpl> net_;
  TrainOptions opt_;
  torch::Device device_;
  torch::Generator device_gen_, cpu_gen_;
  std::unique_ptr<ClipAdam> adam_;
  ReplayBuffer replay_;
  // Training chains and sample grids have their own batch sizes: a graph each, so neither re-captures.
  ChainGraph train_graph_, sample_graph_;
  bool graph_failed_ = false;
  std::string chain_path_ = "eager";
};

}  // namespace ebm::train
