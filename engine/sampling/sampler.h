// Sampler: runs Langevin chains on a composition of energies, one step per call. Synchronous and
// single-threaded (the Session's worker drives it; `ebm sample` and `ebm eval` call it directly).
// Its parts each live in a file of their own: how a step moves (step_rules.h), how chains start
// (chain_init.h), the per-step values (step_scalars.h) and the CUDA-graph replay (graph_step.h).
//
// Every random number comes from the counter-based streams of rng/counter_rng.h keyed by
// (seed, sample id, step), so a chain's trajectory is a function of its recipe alone: sample i is
// the same whatever the batch, and restoring a kept ChainState replays the same steps.
#pragma once

#include "engine/energy/composition.h"
#include "engine/sampling/chain_init.h"
#include "engine/sampling/chain_state.h"
#include "engine/sampling/graph_step.h"
#include "engine/sampling/sampler_params.h"
#include "engine/sampling/step_rules.h"
#include "engine/sampling/step_scalars.h"

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ebm {

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
  // Value edits (value_edit.h) of the composition set last: written into the tree and, in place,
  // into the compiled composition — nothing compiles, a captured graph replays on. An edit the
  // compiled tree cannot take in place recompiles at the next step, as set_composition would.
  // Throws std::invalid_argument (a bad path or value), leaving the sampler unchanged.
  void edit_values(const std::vector<ValueEdit>& edits);
  void set_params(SamplerParams p);         // validates
  void set_params(CheckedSamplerParams p);  // already validated

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
  // The guidance of terms that name none (guidance_rule.h): capped where three or more pull around one
  // prior, the models' own for a chain started from an image — the running chain's init, or before
  // one the params'.
  GuidanceDefaults guidance_defaults() const;

  // How the last step ran: "eager", or "cuda graph" when it was replayed from a captured graph.
  const std::string& last_step_path() const { return last_path_; }
  // Captures so far (a structural edit re-captures; value edits and rewinds do not).
  int graph_captures() const { return graph_.captures(); }
  // Compositions compiled so far (a structural edit compiles; value edits do not).
  std::int64_t compilations() const { return compilations_; }

 private:
  void ensure_compiled();
  void sync_spectral_caches(bool chain_running);
  // The energy, input gradient and per-term energies at x (stage `stage` of a Sequential step),
  // evaluated in chunks of micro_batch samples.
  Evaluation evaluate(int stage, bool sequential, const torch::Tensor& x, const std::vector<torch::Tensor>& att_in,
                      const std::vector<size_t>& mask_terms, const StepScalars& sc);
  // One stage of one step through the step rule; adds its statistics to `stats`. `lp`'s structural
  // fields (clamp, projection) are read here, step size and noise come from `sc`. heun_to > 0: the
  // step is Heun's from sc.sigma down to heun_to (euler_schedule.h; eager steps only).
  torch::Tensor one_step(int stage, bool sequential, torch::Tensor x, const torch::Tensor& ids,
                         std::map<std::string, torch::Tensor>* att, const StepScalars& sc, const LangevinParams& lp,
                         bool add_noise, StepStats* stats, double heun_to = 0.0);
  bool graph_eligible() const;
  std::string graph_key(const LangevinParams& lp) const;  // the structural settings a capture depends on
  StepStats graph_step(const StepSettings& set, const LangevinParams& lp);
  StepStats eager_step(const StepSettings& set, const LangevinParams& lp);

  ModelSet models_;
  Node root_;
  bool has_root_ = false;
  SamplerParams params_;
  SamplerParams chain_params_;  // seed/batch/init/device the running chain was started with
  std::optional<CompiledComposition> compiled_;
  bool dirty_ = true;
  std::int64_t compilations_ = 0;
  std::vector<std::shared_ptr<EnergyModel>> cached_;  // models whose begin_chain() is in effect
  ChainState state_;
  ChainInit init_;
  GraphStep graph_;
  std::string last_path_ = "eager";
};

}  // namespace ebm
