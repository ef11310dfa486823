// Composition tree of energies (spec §5.1, without the original's Or overwrite bug):
//   Term  E = weight · E_model(x_m | label)      x_m = x·m + stop_grad(x)·(1−m) for a spatial mask m
//         with guidance g ≠ 1 (denoising models only, classifier-free guidance, Ho & Salimans 2022):
//         E_model = E(x_m) + g·(E(x_m | label) − E(x_m)), E(x_m) the model's unconditional energy
//   And   E = weight · Σ_i E_i                   (children carry their own weights)
//   Or    E = weight · (−logsumexp_i(−T·E_i) / T) T = temperature, default 100
//   Not   E = weight · (E_a − c·E_b)             c = coefficient, default 0.001; children {a, b}
// nested freely.
//
// One prior (`shared_prior` on an And or Not; recipe "prior": "shared"): a denoising model's energy is
// its unconditional energy plus a label-dependent part, E_i = U_i + D_i with U_i = E_i(x | ∅) (the
// Gaussian prior and what the model knows of every image) and D_i = g_i·(E_i(x | c_i) − U_i). Summed
// as above, k terms count the prior k times — the chain then samples a k-times sharper Gaussian
// around the data mean at every noise level, which the measured compositions show as empty floors.
// A shared-prior node composes the scores instead (Liu et al. 2022, "Compositional Visual Generation
// with Composable Diffusion Models"): E = mean_w(U_i) + Σ w_i·D_i — one prior, the average of the
// terms' unconditional energies (weighted by the term weights), plus every term's weighted pull;
// Not subtracts c·D_b from its positive side and keeps that side's prior. An operator's own weight
// scales its whole energy as before; a term's weight scales its pull (and its share of the prior).
// Terms whose model is not a conditional denoising model have no U: their full energy joins the
// sum. A single term is unchanged; so is every node without the flag (the default, "each"). A Term's mask leaves its energy value unchanged and multiplies its gradient w.r.t.
// x by m (regional composition): outside the mask the term does not pull on the pixels.
//
// Disabled nodes are pruned; when any Term is `solo`, only solo Terms stay enabled. An operator left
// with no children is pruned too; Not without its positive part keeps −c·E_b, without its negative
// part it is E_a; Or of one child is that child (−logsumexp(−T·E)/T = E).
#pragma once

#include "engine/energy/energy_model.h"
#include "models/guidance.h"

#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ebm {

enum class NodeKind { Term, And, Or, Not };
std::string to_string(NodeKind k);
NodeKind node_kind_from_string(const std::string& s);  // "term" | "and" | "or" | "not"

struct Node {
  NodeKind kind = NodeKind::Term;
  std::string name;      // Terms: unique id within the composition (per-term energies, masks are keyed by it)
  double weight = 1.0;   // multiplies this node's energy
  bool enabled = true;

  // Term
  std::string model;            // key into the ModelSet
  std::vector<float> label;     // broadcast to every sample
  bool solo = false;
  torch::Tensor mask;           // optional [H,W] float in [0,1] on the CPU; resized to the image size
  // Classifier-free guidance of a denoising model's term; unset = the model's recommended value
  // (ModelInfo::guidance, 1 = plain conditional energy). Must stay 1 for other models.
  std::optional<double> guidance;
  // The noise levels σ at which that guidance applies (guidance.h); unset = the model's recommended
  // interval (ModelInfo::guidance_interval, by default every σ).
  std::optional<GuidanceInterval> guidance_interval;

  double temperature = 100.0;   // Or
  double coefficient = 0.001;   // Not
  bool shared_prior = false;    // And, Not: compose the terms' scores around one prior (see above)
  std::vector<Node> children;   // And/Or: >= 1, Not: exactly 2 (a, b)

  static Node term(std::string name, std::string model, std::vector<float> label = {}, double weight = 1.0);
  static Node op(NodeKind kind, std::vector<Node> children);
};

// Limits checked before anything is allocated from a recipe or a GUI edit.
constexpr int kMaxCompositionDepth = 32;
constexpr int kMaxCompositionNodes = 1024;
constexpr int kMaxLabelSize = 4096;
constexpr double kMaxGuidance = 100.0;

// Structural checks that need no model: arity, finite weights, temperature > 0, unique non-empty
// term names, masks 2-D within [0,1], depth/node limits. Throws std::invalid_argument naming the
// node path (e.g. "composition.children[1].temperature").
void validate_structure(const Node& root);

// Terms of the tree in depth-first order (their index is the "term index" of per-term energies).
std::vector<const Node*> collect_terms(const Node& root);
// Names of the models the tree uses (enabled or not).
std::vector<std::string> referenced_models(const Node& root);

// The tree prepared for one chain: labels and masks as device tensors of the right shape, model
// pointers resolved, disabled nodes pruned. Built once per structural edit, evaluated every step.
//
// The values users drag — weights, temperatures, coefficients, guidance and its σ interval (one float tensor on the
// device), labels and mask contents — are read from device tensors when the tree is evaluated, and
// assign_values() overwrites them in place. So an edit of values alone keeps every tensor where it
// was: a captured CUDA graph of the step replays with the new values, without a re-capture.
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
  };

  // Throws std::invalid_argument when a model is missing, a label has the wrong length or is out of
  // the schema's range, or the models disagree on the image shape.
  CompiledComposition(const Node& root, const ModelSet& models, const torch::Device& device, std::int64_t batch);

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
  torch::Tensor term_energy(int term, const torch::Tensor& x, const torch::Tensor& attention, double sigma) const;
  torch::Tensor term_energy(int term, const torch::Tensor& x, const torch::Tensor& attention,
                            const torch::Tensor& sigma) const;
  // The tree's energy [B'] given every active term's raw energy [B'] (indexed by term; inactive
  // entries are ignored): energy() with the models replaced by these values. Differentiating it
  // w.r.t. the inputs gives each term's share ∂E/∂E_i of the total (gradient_maps.h). Undefined when
  // no term is active. Throws std::invalid_argument when an active term has no energy.
  torch::Tensor combine(const std::vector<torch::Tensor>& term_energy) const;

  // True when `o` has this tree's structure — kinds, arity, pruning, term names, models, label
  // sizes, which terms have masks and guidance — so that only values differ.
  bool same_structure(const CompiledComposition& o) const;
  // Copies `o`'s values (weights, temperatures, coefficients, guidance, labels, masks) into this
  // composition's tensors in place. Throws std::invalid_argument unless same_structure(o).
  void assign_values(const CompiledComposition& o);
  // Every node's weight/temperature/coefficient and every guided term's guidance and interval, float32 on the device.
  const torch::Tensor& values() const { return values_; }
  // Whether any active term's model needs σ > 0.
  bool needs_sigma() const;

  const std::vector<CTerm>& terms() const { return terms_; }
  bool empty() const { return !root_.has_value(); }
  int channels() const { return channels_; }
  int image_size() const { return image_size_; }
  std::int64_t batch() const { return batch_; }
  // Distinct models of the active terms (for spectral caching and device moves).
  std::vector<std::shared_ptr<EnergyModel>> active_models() const;

 private:
  std::optional<CNode> build(const Node& n, const ModelSet& models, const torch::Device& device, bool any_solo,
                             const std::string& path, bool parent_shared = false);
  // A node's energy in parts: `pull` + `prior` / `prior_weight`, the prior (the weighted sum of
  // unconditional energies and the sum of their weights) undefined outside shared-prior nodes.
  struct Parts {
    torch::Tensor pull, prior, prior_weight;
    torch::Tensor total() const { return prior.defined() ? pull + prior / prior_weight : pull; }
  };
  // The tree's operators over leaf values: `leaf(i)` is term i's energy (a model, or given values).
  using Leaf = std::function<Parts(int term)>;
  Parts eval(const CNode& n, const Leaf& leaf) const;
  Parts term_parts(int term, const torch::Tensor& x, const torch::Tensor& attention, const torch::Tensor& sigma) const;
  Leaf model_leaf(const torch::Tensor& x, const std::vector<torch::Tensor>& attention, const torch::Tensor& sigma,
                  std::vector<torch::Tensor>* per_term) const;

  int add_value(double v);  // appends to the values being built; returns its index
  torch::Tensor value(int at) const { return values_.select(0, at); }
  std::string structure_key() const;

  std::optional<CNode> root_;
  std::vector<CTerm> terms_;
  std::vector<float> host_values_;  // values() as built, before they move to the device
  torch::Tensor values_;
  std::int64_t batch_ = 0;
  int channels_ = 0, image_size_ = 0;
};

}  // namespace ebm
