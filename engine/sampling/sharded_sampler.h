// ShardedSampler: the Sampler with its chains split over several devices of one process — the
// studio's worker on N GPUs (SamplerParams::devices). Shard k runs samples [first_k, first_k +
// count_k) of the batch (batch_split.h) on device base+k with its own copy of every model
// (EnergyModel::replicate); shard 0 uses the models it was given. Every chain is a function of its
// sample id and the seed, and each shard evaluates its energies in one chunk of ⌈batch/N⌉, so the
// gathered images are those of one device run at micro_batch = ⌈batch/N⌉, which chain_params()
// reports (an exported recipe reproduces them on one GPU).
//
// The shards' steps are launched one after another from the calling thread and run concurrently on
// their GPUs (a step does not wait for its device); per-step statistics and the chain state are
// gathered onto the first device, the state only when it is read (a snapshot, a kept history
// state, an export). With one device it is the Sampler itself: no copies, no gathering.
//
// Same contract as Sampler (synchronous, one thread); the same calls with the same meaning.
#pragma once

#include "engine/sampling/batch_split.h"
#include "engine/sampling/sampler.h"

#include <memory>
#include <string>
#include <vector>

namespace ebm {

class ShardedSampler {
 public:
  ShardedSampler();
  ~ShardedSampler();
  ShardedSampler(const ShardedSampler&) = delete;  // owns the shards' samplers and model copies
  ShardedSampler& operator=(const ShardedSampler&) = delete;

  // As Sampler. set_models copies each new or changed model for the other shards at once (throws
  // std::invalid_argument naming a model that cannot be copied, when the chain runs on several).
  void set_models(ModelSet models);
  void set_composition(Node root);
  // Every shard writes the edits in place (Sampler::edit_values); the first checks them before any
  // shard changes.
  void edit_values(const std::vector<ValueEdit>& edits);
  void set_params(SamplerParams p);         // validates
  void set_params(CheckedSamplerParams p);  // already validated: the shards take their shares unchecked

  const ModelSet& models() const { return models_; }
  const Node& composition() const { return primary().composition(); }
  bool has_composition() const { return primary().has_composition(); }
  const SamplerParams& params() const { return params_.get(); }
  // The running chain's params: as Sampler::chain_params, with the chain's devices and the
  // micro_batch its shards evaluate in (⌈batch/devices⌉ when the params left it 0).
  SamplerParams chain_params() const;

  // Starts every shard from step 0. Throws (nothing running afterwards when shards were replaced)
  // for a device that is not here, a model that cannot be copied, or what Sampler::start throws.
  void start();
  StepStats step();  // one step of every shard; statistics gathered on the first device, [batch]
  void stop();

  bool has_chain() const { return primary().has_chain(); }
  // The whole batch's state on the first device (gathered when first read after a step).
  const ChainState& state() const;
  // The chain's step counter without gathering anything.
  std::int64_t step_count() const { return primary().has_chain() ? primary().state().step : 0; }
  // Continues from a kept whole-batch state (as state() returned it): each shard gets its rows.
  void restore(const ChainState& s);

  // The first shard's compiled composition and terms (every shard compiles the same one).
  const CompiledComposition& compiled() { return primary().compiled(); }
  std::vector<std::string> term_names() { return primary().term_names(); }
  torch::Device device() const { return primary().device(); }  // the first device
  int shards() const { return static_cast<int>(shards_.size()); }
  std::vector<torch::Device> devices() const;  // the shards' devices, first to last
  const std::string& last_step_path() const { return primary().last_step_path(); }
  int graph_captures() const { return primary().graph_captures(); }
  // Compositions compiled so far, by all shards (value edits compile none).
  std::int64_t compilations() const;

 private:
  struct Shard {
    std::unique_ptr<Sampler> sampler;
    torch::Device device{torch::kCPU};
    // Copies of models_ for shards after the first, each with the model it copies (to notice a
    // replaced model by name).
    ModelSet copies;
    std::map<std::string, const EnergyModel*> copied_from;
  };

  Sampler& primary() { return *shards_.front().sampler; }
  const Sampler& primary() const { return *shards_.front().sampler; }
  // The params shard k of n runs with: its share of the sample ids, its device, one chunk per share
  // (checked params stay valid: every share of a checked split is non-empty).
  CheckedSamplerParams shard_params(const CheckedSamplerParams& p, int k, int n) const;
  // params_ with the running chain's identity (what a Langevin edit mid-chain is forwarded with).
  SamplerParams running_params() const;
  void forward_params();
  // Replaces the shards by n on `devices` (models copied, composition and params set); no chain.
  void rebuild(const std::vector<torch::Device>& devices);
  void update_copies(Shard& s);

  std::vector<Shard> shards_;  // never empty; shards_[0] holds models_ themselves
  ModelSet models_;
  std::optional<Node> root_;
  CheckedSamplerParams params_ = CheckedSamplerParams::check(SamplerParams{});
  SamplerParams chain_params_;  // params_ when the running chain started
  mutable ChainState gathered_;
  mutable bool gathered_valid_ = false;
};

}  // namespace ebm
