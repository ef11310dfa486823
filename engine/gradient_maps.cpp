#include "engine/gradient_maps.h"

#include <stdexcept>
#include <string>

namespace ebm {

std::vector<TermGradient> term_gradients(const CompiledComposition& comp, const torch::Tensor& x,
                                         const std::vector<torch::Tensor>& attention, double sigma) {
  if (!x.defined() || x.dim() != 4 || x.size(0) != 1)
    throw std::invalid_argument("term_gradients: x must be one image [1,C,H,W]");
  // The caller may hold a NoGradGuard (the sampler does around its steps); these passes need a graph.
  torch::AutoGradMode enable(true);
  const auto& terms = comp.terms();
  std::vector<TermGradient> out;
  std::vector<torch::Tensor> leaves(terms.size());
  for (size_t i = 0; i < terms.size(); ++i) {
    if (!terms[i].active) continue;
    const torch::Tensor xi = x.detach().requires_grad_(true);
    const torch::Tensor att = i < attention.size() ? attention[i] : torch::Tensor();
    const torch::Tensor e = comp.term_energy(static_cast<int>(i), xi, att.defined() ? att.detach() : att, sigma);
    if (e.numel() != 1)
      throw std::invalid_argument("term '" + terms[i].name + "': the model returned " + std::to_string(e.numel()) +
                                  " energies for one image");
    TermGradient tg;
    tg.term = static_cast<int>(i);
    tg.energy = e.detach().to(torch::kCPU, torch::kDouble).item<double>();
    torch::Tensor g;
    if (e.requires_grad())
      g = torch::autograd::grad({e.sum()}, {xi}, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                /*allow_unused=*/true)[0];
    tg.grad = g.defined() ? g.detach() : torch::zeros_like(x);
    leaves[i] = e.detach().clone().requires_grad_(true);
    out.push_back(std::move(tg));
  }
  if (out.empty()) return out;

  // Coefficients ∂E/∂E_t: the tree evaluated on the energies alone (no model runs again).
  std::vector<torch::Tensor> inputs;
  for (const auto& tg : out) inputs.push_back(leaves[static_cast<size_t>(tg.term)]);
  const torch::Tensor total = comp.combine(leaves);
  const auto coefs = torch::autograd::grad({total.sum()}, inputs, {}, false, false, /*allow_unused=*/true);
  for (size_t j = 0; j < out.size(); ++j) {
    out[j].coefficient = coefs[j].defined() ? coefs[j].to(torch::kCPU, torch::kDouble).sum().item<double>() : 0.0;
    out[j].grad = out[j].grad * out[j].coefficient;
  }
  return out;
}

torch::Tensor gradient_magnitude(const torch::Tensor& grad) {
  if (!grad.defined() || (grad.dim() != 3 && !(grad.dim() == 4 && grad.size(0) == 1)))
    throw std::invalid_argument("gradient_magnitude: expected a gradient [1,C,H,W] or [C,H,W]");
  const torch::Tensor g = grad.dim() == 4 ? grad[0] : grad;
  return g.to(torch::kFloat).square().sum(0).sqrt();
}

}  // namespace ebm
