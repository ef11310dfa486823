// Composition tree of energies (spec §5.1, without the original's Or overwrite bug), as a value: what
// a recipe, the studio and the session exchange. CompiledComposition (composition.h) evaluates it.
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
// sum. A single term is unchanged; so is every node without the flag (the default, "each").
//
// A Term's mask leaves its energy value unchanged and multiplies its gradient w.r.t. x by m (regional
// composition): outside the mask the term does not pull on the pixels.
//
// Disabled nodes are pruned; when any Term is `solo`, only solo Terms stay enabled. An operator left
// with no children is pruned too; Not without its positive part keeps −c·E_b, without its negative
// part it is E_a; Or of one child is that child (−logsumexp(−T·E)/T = E).
#pragma once

#include "models/guidance.h"

#include <torch/torch.h>

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
  // "Any value of this concept" (recipe `"label": "any"`): each sample gets a label of its own, drawn
  // from the model's label schema — uniform over a continuous slot's range, a uniform class of a
  // one-hot — as a pure function of the chain's seed, the sample's id and the term's name, so sample i
  // keeps it whatever the batch. `label` is then unused. A position term with any label puts each
  // sample's object somewhere and holds it there: the placement of MODEL_CARD.md 2026-12-05. Not a
  // target of `ebm eval`.
  bool any_label = false;
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
// Whether an enabled solo term is reachable through enabled nodes — solo mode, in which only the solo
// terms are sampled — as the evaluation count and the guidance rule read the tree.
bool any_enabled_solo(const Node& root);
// Names of the models the tree uses (enabled or not).
std::vector<std::string> referenced_models(const Node& root);

// A position in the tree: child indices from the root ({} = the root).
using NodePath = std::vector<int>;
// The node at `path`; throws std::invalid_argument naming the path when there is none.
const Node& node_at(const Node& root, const NodePath& path);
Node& node_at(Node& root, const NodePath& path);
// "composition.children[0].children[1]": how validation messages name the node at `path`.
std::string node_path_text(const NodePath& path);

// The checks validate_structure() applies to one field, for an edit of that field alone
// (value_edit.h). Each throws std::invalid_argument naming `where` (a node path text + field).
void check_weight(double w, const std::string& where);
void check_temperature(double t, const std::string& where);
void check_coefficient(double c, const std::string& where);
void check_guidance(double g, const std::string& where);
void check_guidance_interval(const GuidanceInterval& iv, const std::string& where);
void check_label(const std::vector<float>& label, const std::string& where);
void check_mask(const torch::Tensor& mask, const std::string& where);

}  // namespace ebm
