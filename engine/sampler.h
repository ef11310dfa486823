// Sampler: runs Langevin chains on a composition of energies, one step per call. Synchronous and
// single-threaded (the Session's worker drives it; `ebm sample` calls it directly).
//
// Every random number comes from the counter-based streams of rng/counter_rng.h keyed by
// (seed, sample id, step), so a chain's trajectory is a function of its recipe alone: sample i is
// the same whatever the batch, and restoring a kept ChainState replays the same steps.
#pragma once

#include "engine/energy/composition.h"
#include "engine/gpu/step_graph.h"
#include "engine/rng/counter_rng.h"
#include "engine/sampler_params.h"

#include <torch/torch.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ebm {

// Everything that evolves along a chain. Tensors are never modified in place once stored, so a
// ChainState (or a snapshot referencing its tensors) can be kept and shared without copying.
struct ChainState {
  torch::Tensor x;           // [B,C,H,W] on the models' device
  torch::Tensor sample_ids;  // [B] int64
  std::map<std::string, torch::Tensor> attention;  // comb_mask term name -> [B,K,H,W] mask logits
  torch::Tensor resets;      // [B] int64: NaN/Inf re-initialisations so far
  std::int64_t step = 0;     // steps taken (the next step's counter)
  std::int64_t bytes() const;
};

// What one step measured, as device tensors (no host sync).
struct StepStats {
  torch::Tensor energy;                 // [B] total energy at the noised x, before the update
  std::vector<torch::Tensor> per_term;  // [B] raw energy of each term (undefined: inactive)
  torch::Tensor grad_norm;              // [B] L2 norm of the (projected) gradient
  torch::Tensor reset;                  // [B] bool: samples re-initialised after NaN/Inf (undefined: none)
  torch::Tensor accepted;               // [B] float, MALA and HMC only: 1 where the step took its
                                        // proposal (always, for a step without noise), 0 where the chain
                                        // stayed; Sequential: the fraction of stages. Undefined for Langevin
};

// Mean of StepStats::accepted over every step and sample of a run, summed on the chain's device
// (one host read, in mean()); −1 when no step had an accept test (the Langevin rule).
class AcceptanceMeter {
 public:
  void add(const StepStats& st);
  double mean() const;

 private:
  torch::Tensor sum_;
  std::int64_t tests_ = 0;
};

class Sampler {
 public:
  Sampler();
  ~Sampler();
  Sampler(const Sampler&) = delete;  // owns the models' spectral caches of a running chain
  Sampler& operator=(const Sampler&) = delete;

  // Setters validate and throw std::invalid_argument, leaving the sampler unchanged. Model and
  // composition edits are compiled at the next step; Langevin parameters apply from the next step;
  // seed/batch/init/device apply at the next start().
  void set_models(ModelSet models);
  void set_composition(Node root);
  void set_params(SamplerParams p);

  const ModelSet& models() const { return models_; }
  const Node& composition() const { return root_; }
  bool has_composition() const { return has_root_; }
  const SamplerParams& params() const { return params_; }
  // The params that describe the running chain: Langevin fields as now, seed/batch/sample ids/
  // init/device as the chain was started with (edits of those wait for a restart).
  SamplerParams chain_params() const;

  // Starts a fresh chain (step 0) from the params' seed, batch and init. Throws when the
  // composition does not compile against the loaded models.
  void start();
  // One iteration (Joint: one step; Sequential: one pass over the stages). Throws on model errors.
  StepStats step();
  // Ends the chain and releases the models' spectral caches; the last state stays readable.
  void stop();

  bool has_chain() const { return state_.x.defined(); }
  const ChainState& state() const { return state_; }
  // Continues from a kept state (rewind). The state must have the current batch and image shape.
  void restore(const ChainState& s);

  // The compiled composition (compiling now if an edit is pending). Throws like start().
  const CompiledComposition& compiled();
  std::vector<std::string> term_names();
  torch::Device device() const;

  // How the last step ran: "eager", or "cuda graph" when it was replayed from a captured graph.
  const std::string& last_step_path() const { return last_path_; }
  // Captures so far (a structural edit re-captures; value edits and rewinds do not).
  int graph_captures() const { return graph_captures_; }

 private:
  // Per-step values a step reads, as 0-dim tensors on the chain's device: made fresh for an eager
  // step, written in place before a graph replay.
  struct StepScalars {
    torch::Tensor step_lr, noise_std, sigma;             // float32
    torch::Tensor noise_key, reset_key, reset_colour_key, accept_key;  // int64 counter-noise keys
  };
  // Energy, input gradient and per-term energies at one point (and the masks' gradients).
  struct Evaluation {
    torch::Tensor e, g;                   // [B], [B,C,H,W] float
    std::vector<torch::Tensor> per_term;  // [B] per term (undefined: inactive or not in this stage)
    std::vector<torch::Tensor> mask_grads;
  };
  struct Captured;  // a recorded Joint step and the tensors it reads and writes

  void ensure_compiled();
  void sync_spectral_caches(bool chain_running);
  // `lp` is params_.langevin(set), computed once per step by its caller.
  StepScalars make_scalars(const StepSettings& set, const LangevinParams& lp) const;
  void write_scalars(const StepSettings& set, const LangevinParams& lp, StepScalars* sc) const;
  torch::Tensor init_images(const torch::Tensor& key, const torch::Tensor& colour_key, const torch::Tensor& ids) const;
  torch::Tensor noise_start_mean(std::int64_t channels) const;  // [C,1,1] on the CPU, for InitMode::Noise
  torch::Tensor init_attention(const std::string& term, int k, const torch::Tensor& ids) const;
  torch::Tensor one_step(int stage, bool sequential, torch::Tensor x, const torch::Tensor& ids,
                         std::map<std::string, torch::Tensor>* att, const StepScalars& sc, const LangevinParams& lp,
                         bool add_noise, StepStats* stats);
  Evaluation evaluate(int stage, bool sequential, const torch::Tensor& xn, const std::vector<torch::Tensor>& att_in,
                      const std::vector<size_t>& mask_terms, const StepScalars& sc);
  // A MALA (leapfrogs = 1) or HMC step from `x` with momentum / noise `xi` (unscaled) and the
  // accept test's key.
  torch::Tensor metropolis_step(int stage, bool sequential, const torch::Tensor& x, const torch::Tensor& xi,
                                const torch::Tensor& accept_key, const torch::Tensor& ids, const StepScalars& sc,
                                const LangevinParams& lp, int leapfrogs, StepStats* stats);
  // Re-initialises the samples flagged in `bad` [B] (bool) from the Reset streams: no host sync.
  void reset_rows(const torch::Tensor& bad, const torch::Tensor& ids, const StepScalars& sc, torch::Tensor* x,
                  std::map<std::string, torch::Tensor>* att) const;
  bool graph_eligible() const;
  std::string graph_key(const LangevinParams& lp) const;  // the structural settings a capture depends on
  StepStats graph_step(const StepSettings& set, const LangevinParams& lp);

  ModelSet models_;
  Node root_;
  bool has_root_ = false;
  SamplerParams params_;
  SamplerParams chain_params_;  // seed/batch/init/device the running chain was started with
  std::optional<CompiledComposition> compiled_;
  bool dirty_ = true;
  std::vector<std::shared_ptr<EnergyModel>> cached_;  // models whose begin_chain() is in effect
  ChainState state_;
  torch::Tensor start_mean_;  // noise_start_mean() on the chain's device (cached per compile)
  torch::Tensor init_image_;  // the Image init as [C,S,S] on the chain's device (cached per start)
  std::unique_ptr<Captured> captured_;
  std::string last_path_ = "eager";
  int graph_captures_ = 0;
};

}  // namespace ebm
