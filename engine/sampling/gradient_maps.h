// Per-term gradients of one composition at one image: how hard each term pulls on each pixel. The
// Views panel shows them side by side for the selected sample (cmd::InspectSample).
//
// By the chain rule the total energy's gradient splits exactly into one part per term:
//   ∂E/∂x = Σ_t (∂E/∂E_t) · ∂E_t/∂x
// where ∂E/∂E_t (the term's coefficient) is how the tree weighs the term: the product of the weights
// on its path for And, −c for the negative side of a Not, the soft-min share for Or. A term's part is
// therefore w_t·∂E_t/∂x for weight w_t in an And, its spatial mask already applied (term_energy),
// and the parts of all terms add up (as vectors) to the gradient the sampler steps along (before its
// noise and proj_norm clip).
#pragma once

#include "engine/energy/composition.h"
#include "engine/sampling/chain_state.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ebm {

struct TermGradient {
  int term = -1;             // index into CompiledComposition::terms()
  double coefficient = 0.0;  // ∂E/∂E_t at x
  double energy = 0.0;       // the term's raw energy E_t at x
  torch::Tensor grad;        // [1,C,H,W]: coefficient · ∂E_t/∂x, detached, on x's device
};

// One forward and one backward pass per active term on x [1,C,H,W] (any device), then one cheap pass
// over the tree with the terms' energies as leaves for the coefficients. `attention[i]`: term i's mask
// logits [1,K,H,W] (comb_mask terms; undefined or missing for the others). Inactive terms are left
// out; an empty composition gives an empty list. Throws std::invalid_argument for a bad x, and what
// a model throws. `sample`: which sample of the chain x is (its row of per-sample labels: any-label terms).
std::vector<TermGradient> term_gradients(const CompiledComposition& comp, const torch::Tensor& x,
                                         const std::vector<torch::Tensor>& attention, double sigma,
                                         std::int64_t sample = 0);

// Per-pixel magnitude of a gradient [1,C,H,W] or [C,H,W]: the L2 norm over the channels, [H,W] float.
torch::Tensor gradient_magnitude(const torch::Tensor& grad);

// How hard each term pulls on each pixel of one sample, as the session publishes it
// (Snapshot::gradient_maps): term t's part of the energy gradient, (∂E/∂E_t)·∂E_t/∂x — w_t·∂E_t/∂x in
// an And — at the σ the next step uses. The terms' parts add up to the gradient the sampler steps
// along (before its noise and proj_norm clip). Every number a panel shows is here, computed once on
// the worker: a reader never touches the tensors but to upload them.
struct GradientMaps {
  struct Term {
    std::string name;             // the term's name
    std::string model;            // the model it evaluates
    double coefficient = 0.0;     // ∂E/∂E_t: the term's weight as the tree applies it
    double energy = 0.0;          // raw energy E_t
    double norm = 0.0;            // L2 norm of the term's gradient (all pixels and channels)
    double max = 0.0;             // the largest per-pixel magnitude (the top of the map's colour range)
    torch::Tensor magnitude;      // [H,W] float on the CPU: per-pixel L2 norm over the channels
  };
  std::int64_t sample = -1;       // batch index
  std::int64_t sample_id = -1;
  std::uint64_t chain_id = 0;
  std::int64_t step = 0;
  double sigma = 0.0;
  std::vector<Term> terms;        // the active terms, in term order
  double total_norm = 0.0;        // L2 norm of the sum of the terms' gradients
  double ms = 0.0;                // wall time the worker spent computing them
  std::string error;              // set: why there are no maps (bad index, a model failed)
};

// The maps of sample `index` of `state` under `comp` at noise level `sigma` (`root`, the tree `comp`
// was compiled from, names each term's model). Never throws: what went wrong is in `error` (an index
// outside the batch, a model that failed). Fills in everything but chain_id; `ms` is its own cost.
GradientMaps gradient_maps_of(const CompiledComposition& comp, const Node& root, const ChainState& state,
                              std::int64_t index, double sigma);

}  // namespace ebm
