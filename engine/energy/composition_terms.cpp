// How one term of a compiled composition is evaluated (composition.h): its mask, its labels (one
// row per sample), classifier-free guidance with its interval, and the unconditional energies the
// terms of one evaluation share — and, under one prior, split into its pull and its share of the prior.
#include "engine/energy/composition.h"

#include <stdexcept>
#include <string>

namespace ebm {

torch::Tensor CompiledComposition::term_energy(int term, const torch::Tensor& x, const torch::Tensor& attention,
                                               double sigma, std::int64_t first_sample) const {
  return term_energy(term, x, attention, torch::full({}, sigma, x.options()), first_sample);
}

torch::Tensor CompiledComposition::term_energy(int term, const torch::Tensor& x, const torch::Tensor& attention,
                                               const torch::Tensor& sigma, std::int64_t first_sample) const {
  return term_parts(term, x, attention, sigma, nullptr, first_sample).total();
}

CompiledComposition::Parts CompiledComposition::term_parts(int term, const torch::Tensor& x,
                                                           const torch::Tensor& attention, const torch::Tensor& sigma,
                                                           UnconditionalCache* shared, std::int64_t first_sample) const {
  const CTerm& t = terms_.at(static_cast<size_t>(term));
  torch::Tensor xin = x;
  // Same value as x; the gradient w.r.t. x is multiplied by the mask.
  if (t.mask.defined()) xin = x * t.mask + x.detach() * (1.0 - t.mask);
  // Labels: one row per sample of the chain (the same row broadcast, or drawn per sample for an
  // any-label term); x of fewer samples reads the rows from `first_sample` on.
  torch::Tensor label = t.label;
  if (label.defined() && x.dim() >= 1 && x.size(0) < label.size(0)) {
    if (first_sample < 0 || first_sample + x.size(0) > label.size(0))
      throw std::invalid_argument("term '" + t.name + "': samples " + std::to_string(first_sample) + "…" +
                                  std::to_string(first_sample + x.size(0) - 1) + " are outside the batch of " +
                                  std::to_string(label.size(0)));
    label = label.narrow(0, first_sample, x.size(0));
  }
  torch::Tensor e = t.model->energy_at(xin, label, attention, sigma).reshape({-1});
  ++model_evaluations_;
  const bool guided = t.guidance_at >= 0 && label.defined();
  if (!guided && !(t.split && label.defined())) return {e, {}, {}};
  // Outside its guidance interval a guided term is its plain conditional energy: on the CPU, where σ
  // is a host number, the unconditional evaluation is skipped there (a GPU step reads σ on the device
  // and keeps one graph for every level, so it evaluates both and selects).
  if (guided && !t.split && !sigma.is_cuda() && !values_.is_cuda()) {
    const double sg = sigma.item<double>();
    if (sg < value(t.interval_at).item<double>() || sg > value(t.interval_at + 1).item<double>()) return {e, {}, {}};
  }
  // The model's unconditional energy at `input`; `share`: taken from (or put in) this evaluation's
  // cache, which holds the whole-image one (no mask, no attention) per model.
  const auto unconditional = [&](const torch::Tensor& input, bool share) {
    if (share) {
      if (auto it = shared->find(t.model.get()); it != shared->end()) return it->second;
    }
    torch::Tensor v = t.model->energy_at(input, torch::Tensor(), attention, sigma).reshape({-1});
    ++model_evaluations_;
    if (share) (*shared)[t.model.get()] = v;
    return v;
  };
  const bool whole_image_shareable = shared && !attention.defined();
  const torch::Tensor u = unconditional(xin, whole_image_shareable && !t.mask.defined());
  torch::Tensor pull = e - u;
  if (guided)
    pull = pull * guidance_at_sigma(value(t.guidance_at), sigma, value(t.interval_at), value(t.interval_at + 1));
  if (!t.split) return {u + pull, {}, {}};  // guided_energy(e, u, g)
  // Under one prior a mask confines the term's pull, not its share of the prior: the prior is what
  // the whole image looks like. With the masked u in the prior, the prior's gradient outside the mask
  // shrank to the other terms' share, the denoising steps there removed only part of the noise, and
  // the chains diverged (a masked colour ∧ position around one prior: saturated noise in every sample,
  // 2026-12-06). Same value; one more evaluation where the term's model has no unmasked term to share it.
  // The whole-image U is what an unmasked term of the same model evaluates: shared with them.
  if (t.mask.defined()) return {pull, unconditional(x, whole_image_shareable), torch::ones({}, u.options())};
  return {pull, u, torch::ones({}, u.options())};
}

CompiledComposition::Leaf CompiledComposition::model_leaf(const torch::Tensor& x,
                                                          const std::vector<torch::Tensor>& attention,
                                                          const torch::Tensor& sigma,
                                                          std::vector<torch::Tensor>* per_term) const {
  auto shared = std::make_shared<UnconditionalCache>();  // this evaluation's, not the next one's
  return [this, &x, &attention, &sigma, per_term, shared](int term) {
    torch::Tensor att = term < static_cast<int>(attention.size()) ? attention[term] : torch::Tensor();
    Parts p = term_parts(term, x, att, sigma, shared.get());
    if (per_term) (*per_term)[term] = p.total().detach();
    return p;
  };
}

}  // namespace ebm
