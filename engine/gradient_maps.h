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

#include <torch/torch.h>

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
// a model throws.
std::vector<TermGradient> term_gradients(const CompiledComposition& comp, const torch::Tensor& x,
                                         const std::vector<torch::Tensor>& attention, double sigma);

// Per-pixel magnitude of a gradient [1,C,H,W] or [C,H,W]: the L2 norm over the channels, [H,W] float.
torch::Tensor gradient_magnitude(const torch::Tensor& grad);

}  // namespace ebm
