// CompiledComposition: a composition tree (node.h, where the energy each node stands for is written
// down) prepared for one chain and evaluated every step — labels and masks as device tensors of the
// right shape, model pointers resolved, disabled nodes pruned.
#pragma once

#include "engine/energy/energy_model.h"
#include "engine/energy/guidance_rule.h"
#include "engine/energy/node.h"
#include "engine/energy/value_edit.h"
#include "models/guidance.h"
#include "models/label_schema.h"

#include <torch/torch.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ebm {

// The tree prepared for one chain: labels and masks as device tensors of the right shape, model
// pointers resolved, disabled nodes pruned. Built once per structural edit, evaluated every step.
//
// The values users drag — weights, temperatures, coefficients, guidance and its σ interval (one float
// tensor on the device), labels and mask contents — are read from device tensors when the tree is
// evaluated, and apply_value() (one edit) or assign_values() (a whole tree of the same structure)
// overwrites them in place. So an edit of values alone keeps every tensor where it was: a captured
// CUDA graph of the step replays with the new values, without a re-capture, and nothing recompiles.
class CompiledComposition {
 public:
  struct CNode {
    NodeKind kind = NodeKind::Term;
    double weight = 1.0, temperature = 100.0, coefficient = 0.001;  // as compiled (see values())
    int weight_at = -1, temperature_at = -1, coefficient_at = -1;   // indices into values()
    bool has_pos = true, has_neg = true;  // Not: which children survived pruning
    bool shared_prior = false;            // And, Not: merge the children's (prior, pull) parts
    int term = -1;                        // Term: index into terms()
    std::vector<CNode> children;
  };
  struct CTerm {
    std::string name;
    std::shared_ptr<EnergyModel> model;
    torch::Tensor label;  // [B,L] or undefined
    torch::Tensor mask;   // [1,1,H,W] or undefined
    double guidance = 1.0;  // effective (Node::guidance or the model's recommended value)
    int guidance_at = -1;   // index into values() (guided terms only: guidance != 1)
    GuidanceInterval guidance_interval;  // effective (Node's or the model's recommended one)
    int interval_at = -1;   // values()[interval_at], [interval_at + 1]: its σ bounds (guided terms only)
    int attention_masks = 0;
    bool denoising = false;  // its model's energy depends on σ (needs σ > 0)
    bool split = false;      // a conditional denoising term under a shared-prior node: evaluated as (U, D)
    bool active = false;  // false: disabled/pruned (reports NaN energy)
    bool any_label = false;  // Node::any_label: `label` holds a drawn label per sample (draw_any_labels)
    LabelSchema schema;      // any_label terms: the ranges their labels are drawn from
  };

  // Throws std::invalid_argument when a model is missing, a label has the wrong length or is out of
  // the schema's range, or the models disagree on the image shape.
  // `defaults`: the guidance of terms that name none (guidance_rule.h: capped where three or more pull
  // around one prior, unless the chain starts from an image).
  CompiledComposition(const Node& root, const ModelSet& models, const torch::Device& device, std::int64_t batch,
                      GuidanceDefaults defaults = GuidanceDefaults::CapCrowded);

  // Energy [B] of the whole tree. `attention` holds each comb_mask term's mask logits by term
  // index (undefined for the others). per_term[i] receives term i's raw (unweighted) energy [B].
  torch::Tensor energy(const torch::Tensor& x, const std::vector<torch::Tensor>& attention, double sigma,
                       std::vector<torch::Tensor>* per_term) const;
  // σ as a 0-dim float tensor on x's device (the form a captured step reads it in).
  torch::Tensor energy(const torch::Tensor& x, const std::vector<torch::Tensor>& attention, const torch::Tensor& sigma,
                       std::vector<torch::Tensor>* per_term) const;
  // Energy of one stage of sequential sampling: the root's i-th active child (the root itself when it
  // is not an And).
  torch::Tensor stage_energy(int stage, const torch::Tensor& x, const std::vector<torch::Tensor>& attention,
                             const torch::Tensor& sigma, std::vector<torch::Tensor>* per_term) const;
  int num_stages() const;

  // Term i's raw (unweighted) energy [B'] exactly as energy() evaluates it — its model with its label,
  // its spatial mask scaling the gradient — for x [B',C,H,W] with B' <= batch() (e.g. one
  // sample). `attention`: the term's mask logits [B',K,H,W] (undefined unless it is a comb_mask term).
  // `first_sample`: the chain's sample x[0] is (the first of the labels' rows it reads).
  torch::Tensor term_energy(int term, const torch::Tensor& x, const torch::Tensor& attention, double sigma,
                            std::int64_t first_sample = 0) const;
  torch::Tensor term_energy(int term, const torch::Tensor& x, const torch::Tensor& attention,
                            const torch::Tensor& sigma, std::int64_t first_sample = 0) const;
  // The tree's energy [B'] given every active term's raw energy [B'] (indexed by term; inactive
  // entries are ignored): energy() with the models replaced by these values. Differentiating it
  // w.r.t. the inputs gives each term's share ∂E/∂E_i of the total (sampling/gradient_maps.h). Undefined when
  // no term is active. Throws std::invalid_argument when an active term has no energy.
  torch::Tensor combine(const std::vector<torch::Tensor>& term_energy) const;

  // True when `o` has this tree's structure — kinds, arity, pruning, term names, models, label
  // sizes, which terms have masks and guidance — so that only values differ.
  bool same_structure(const CompiledComposition& o) const;
  // Copies `o`'s values (weights, temperatures, coefficients, guidance, labels, masks) into this
  // composition's tensors in place. Throws std::invalid_argument unless same_structure(o).
  void assign_values(const CompiledComposition& o);
  // Writes one value edit (value_edit.h) into this composition's tensors in place and returns true;
  // returns false, changing nothing, when the edit needs a recompile — a guidance switched to or from
  // 1, a mask added or removed, a label the model does not take (the compile then says why). An edit
  // of a node this composition pruned (disabled) changes nothing here and returns true.
  bool apply_value(const ValueEdit& e);
  // Every node's weight/temperature/coefficient and every guided term's guidance and interval, float32 on the device.
  const torch::Tensor& values() const { return values_; }
  // Whether any active term's model needs σ > 0.
  bool needs_sigma() const;
  // Writes every any-label term's per-sample labels (Node::any_label) for the chain's samples
  // `sample_ids` [batch] of seed `seed`: counter noise (rng/counter_rng.h) keyed by the seed and the
  // term's name, so a sample's label does not depend on the batch, its place in it, or the term's.
  // The sampler calls it after each compile; without it those labels stay at 0.
  void draw_any_labels(const torch::Tensor& sample_ids, std::uint64_t seed);
  bool has_any_labels() const;

  const std::vector<CTerm>& terms() const { return terms_; }
  bool empty() const { return !root_.has_value(); }
  int channels() const { return channels_; }
  int image_size() const { return image_size_; }
  std::int64_t batch() const { return batch_; }
  // How many times a model's energy was evaluated by this composition so far (each guided term costs
  // its conditional and — unless shared or skipped — its unconditional energy).
  std::int64_t model_evaluations() const { return model_evaluations_; }
  // Distinct models of the active terms (for spectral caching and device moves).
  std::vector<std::shared_ptr<EnergyModel>> active_models() const;

 private:
  std::optional<CNode> build(const Node& n, const ModelSet& models, const torch::Device& device, bool any_solo,
                             const NodePath& at, bool parent_shared = false);
  // A node's energy in parts: `pull` + `prior` / `prior_weight`, the prior (the weighted sum of
  // unconditional energies and the sum of their weights) undefined outside shared-prior nodes.
  struct Parts {
    torch::Tensor pull, prior, prior_weight;
    torch::Tensor total() const { return prior.defined() ? pull + prior / prior_weight : pull; }
  };
  // The tree's operators over leaf values: `leaf(i)` is term i's energy (a model, or given values).
  using Leaf = std::function<Parts(int term)>;
  Parts eval(const CNode& n, const Leaf& leaf) const;
  // Unconditional energies of one evaluation, by model: terms of one model without a mask share it
  // (E(x | ∅) does not depend on the term's label), so k guided terms of one model cost k + 1.
  using UnconditionalCache = std::map<const EnergyModel*, torch::Tensor>;
  Parts term_parts(int term, const torch::Tensor& x, const torch::Tensor& attention, const torch::Tensor& sigma,
                   UnconditionalCache* shared = nullptr, std::int64_t first_sample = 0) const;
  Leaf model_leaf(const torch::Tensor& x, const std::vector<torch::Tensor>& attention, const torch::Tensor& sigma,
                  std::vector<torch::Tensor>* per_term) const;

  int add_value(double v);  // appends to the values being built; returns its index
  torch::Tensor value(int at) const { return values_.select(0, at); }
  std::string structure_key() const;

  // Where a compiled node keeps its values, by node path (node_path_text): what apply_value() writes.
  struct Slots {
    int weight_at = -1, temperature_at = -1, coefficient_at = -1;
    int term = -1;  // Terms: index into terms()
  };
  void write_value(int at, double v);

  std::optional<CNode> root_;
  std::vector<CTerm> terms_;
  mutable std::int64_t model_evaluations_ = 0;  // energy_at calls (counted, for the guided-step cost)
  std::map<std::string, Slots> slots_;
  std::set<NodePath> crowded_;  // terms whose default guidance is capped (guidance_rule.h)
  torch::Device device_{torch::kCPU};
  std::vector<float> host_values_;  // values() as built, before they move to the device
  torch::Tensor values_;
  std::int64_t batch_ = 0;
  int channels_ = 0, image_size_ = 0;
};

}  // namespace ebm
