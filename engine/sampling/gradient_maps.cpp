#include "engine/sampling/gradient_maps.h"

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>

namespace ebm {

std::vector<TermGradient> term_gradients(const CompiledComposition& comp, const torch::Tensor& x,
                                         const std::vector<torch::Tensor>& attention, double sigma,
                                         std::int64_t sample) {
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
    const torch::Tensor e =
        comp.term_energy(static_cast<int>(i), xi, att.defined() ? att.detach() : att, sigma, sample);
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

namespace {
std::int64_t first_int(const torch::Tensor& t) { return t.to(torch::kCPU, torch::kLong).item<std::int64_t>(); }
}  // namespace

GradientMaps gradient_maps_of(const CompiledComposition& comp, const Node& root, const ChainState& cs,
                              std::int64_t index, double sigma) {
  using Clock = std::chrono::steady_clock;
  GradientMaps m;
  m.sample = index;
  m.step = cs.step;
  const auto t0 = Clock::now();
  struct Timer {  // stamps the maps' cost however the computation ends
    GradientMaps& m;
    Clock::time_point t0;
    ~Timer() { m.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }
  } timer{m, t0};
  const std::int64_t batch = cs.x.size(0);
  if (index < 0 || index >= batch) {
    m.error = "sample " + std::to_string(index) + " is not in the batch (0.." + std::to_string(batch - 1) + ")";
    return m;
  }
  try {
    m.sigma = sigma;  // what the next step gives denoising models
    m.sample_id = first_int(cs.sample_ids.narrow(0, index, 1));
    std::vector<torch::Tensor> att(comp.terms().size());
    for (size_t i = 0; i < att.size(); ++i) {
      auto it = cs.attention.find(comp.terms()[i].name);
      if (it != cs.attention.end()) att[i] = it->second.narrow(0, index, 1);
    }
    std::map<std::string, std::string> model_of;
    for (const Node* t : collect_terms(root)) model_of[t->name] = t->model;
    const auto parts = term_gradients(comp, cs.x.narrow(0, index, 1), att, m.sigma, index);
    torch::Tensor total;
    for (const auto& p : parts) {
      GradientMaps::Term t;
      t.name = comp.terms()[static_cast<size_t>(p.term)].name;
      t.model = model_of[t.name];
      t.coefficient = p.coefficient;
      t.energy = p.energy;
      t.norm = p.grad.to(torch::kDouble).norm().item<double>();
      t.magnitude = gradient_magnitude(p.grad).to(torch::kCPU).contiguous();
      t.max = t.magnitude.numel() > 0 ? t.magnitude.max().item<double>() : 0.0;
      total = total.defined() ? total + p.grad : p.grad;
      m.terms.push_back(std::move(t));
    }
    if (total.defined()) m.total_norm = total.to(torch::kDouble).norm().item<double>();
  } catch (const std::exception& e) {
    m.terms.clear();
    m.error = std::string("gradient maps failed: ") + e.what();
  }
  return m;
}

}  // namespace ebm
