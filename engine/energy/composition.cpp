#include "engine/energy/composition.h"

#include "engine/rng/counter_rng.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

namespace ebm {

namespace {

bool any_solo(const Node& n) {
  if (n.kind == NodeKind::Term) return n.solo;
  for (const auto& c : n.children)
    if (any_solo(c)) return true;
  return false;
}

// A term's mask as compiled: [1,1,S,S], resized bilinearly to the image size and clamped to [0, 1].
torch::Tensor compiled_mask(const torch::Tensor& mask, int image_size, const torch::Device& device) {
  auto m = mask.to(torch::kFloat).reshape({1, 1, mask.size(0), mask.size(1)});
  if (m.size(2) != image_size || m.size(3) != image_size)
    m = torch::nn::functional::interpolate(m, torch::nn::functional::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{image_size, image_size})
                                                  .mode(torch::kBilinear)
                                                  .align_corners(false));
  return m.clamp(0.0, 1.0).to(device);
}

}  // namespace

CompiledComposition::CompiledComposition(const Node& root, const ModelSet& models, const torch::Device& device,
                                         std::int64_t batch, GuidanceDefaults defaults)
    : device_(device), batch_(batch) {
  validate_structure(root);
  if (batch < 1) throw std::invalid_argument("batch must be at least 1");
  // Image shape: every model of the tree (enabled or not) must agree, so toggling a term never
  // changes the canvas.
  std::string first;
  for (const Node* t : collect_terms(root)) {
    auto it = models.find(t->model);
    if (it == models.end() || !it->second)
      throw std::invalid_argument("term '" + t->name + "' uses model '" + t->model +
                                  "', which is not loaded; load it first or pick a loaded model");
    ModelInfo info = it->second->info();
    if (first.empty()) {
      first = t->model;
      channels_ = info.channels;
      image_size_ = info.image_size;
    } else if (info.channels != channels_ || info.image_size != image_size_) {
      throw std::invalid_argument("models '" + first + "' (" + std::to_string(channels_) + "×" +
                                  std::to_string(image_size_) + "²) and '" + t->model + "' (" +
                                  std::to_string(info.channels) + "×" + std::to_string(info.image_size) +
                                  "²) produce different image shapes; a composition needs one shape");
    }
  }
  if (first.empty()) throw std::invalid_argument("composition has no terms; add at least one model term");
  crowded_ = crowded_terms(root, info_lookup(models), defaults);
  root_ = build(root, models, device, any_solo(root), NodePath{});
  if (host_values_.empty()) host_values_.push_back(1.0f);  // values_ is never empty (a pruned tree)
  values_ = torch::tensor(host_values_, torch::kFloat).to(device);
}

namespace {
// FNV-1a: the sub-stream of a term's drawn labels, from its name (unique within a composition).
std::uint32_t name_stream(const std::string& name) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  return h;
}
}  // namespace

bool CompiledComposition::has_any_labels() const {
  return std::any_of(terms_.begin(), terms_.end(), [](const CTerm& t) { return t.any_label; });
}

void CompiledComposition::draw_any_labels(const torch::Tensor& sample_ids, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  for (auto& t : terms_) {
    if (!t.any_label) continue;
    if (sample_ids.size(0) != t.label.size(0))
      throw std::invalid_argument("draw_any_labels: " + std::to_string(sample_ids.size(0)) + " sample ids for a batch of " +
                                  std::to_string(t.label.size(0)));
    const int64_t L = t.label.size(1);
    const auto u = counter_uniform(noise_key(seed, NoiseStream::Label, name_stream(t.name), 0),
                                   sample_ids.to(t.label.device()), {L});
    torch::Tensor drawn;
    if (t.schema.one_hot()) {
      const auto k = (u.select(1, 0) * L).floor().clamp_max(static_cast<double>(L - 1)).to(torch::kLong);
      drawn = torch::one_hot(k, L).to(torch::kFloat);
    } else {
      std::vector<float> lo, span;
      for (const auto& slot : t.schema.slots) {
        lo.push_back(slot.min);
        span.push_back(slot.max - slot.min);
      }
      const auto opts = u.options();
      drawn = torch::tensor(lo).to(opts.device()).unsqueeze(0) + u * torch::tensor(span).to(opts.device()).unsqueeze(0);
    }
    t.label.copy_(drawn);
  }
}

int CompiledComposition::add_value(double v) {
  host_values_.push_back(static_cast<float>(v));
  return static_cast<int>(host_values_.size()) - 1;
}

std::optional<CompiledComposition::CNode> CompiledComposition::build(const Node& n, const ModelSet& models,
                                                                     const torch::Device& device, bool solo_mode,
                                                                     const NodePath& at, bool parent_shared) {
  const std::string path = node_path_text(at);
  Slots& slots = slots_[path];
  CNode c;
  c.kind = n.kind;
  c.shared_prior = n.shared_prior && (n.kind == NodeKind::And || n.kind == NodeKind::Not);
  c.weight = n.weight;
  c.temperature = n.temperature;
  c.coefficient = n.coefficient;
  if (n.kind == NodeKind::Term) {
    CTerm t;
    t.name = n.name;
    t.model = models.at(n.model);
    ModelInfo info = t.model->info();
    t.attention_masks = info.attention_masks;
    t.denoising = info.denoising;
    t.guidance = term_guidance(n, info.guidance, crowded_.count(at) > 0);  // guidance_rule.h
    t.guidance_interval = n.guidance_interval.value_or(info.guidance_interval);
    if (t.guidance != 1.0 && !(info.denoising && info.label_size > 0))
      throw std::invalid_argument(path + ".guidance: model '" + n.model +
                                  "' is not a conditional denoising model, so it has no unconditional energy to guide "
                                  "from; leave guidance at 1");
    const int want = info.label_size;
    if (n.any_label) {
      if (want <= 0)
        throw std::invalid_argument(path + ".label: model '" + n.model +
                                    "' takes no label, so it has none to draw per sample; give the term no label");
      t.any_label = true;
      t.schema = info.schema.size() == want ? info.schema : LabelSchema::generic(want);
      t.label = torch::zeros({batch_, want}, torch::TensorOptions().dtype(torch::kFloat).device(device));
    } else if (want > 0 || !n.label.empty()) {
      if (static_cast<int>(n.label.size()) != want)
        throw std::invalid_argument(path + ".label: model '" + n.model + "' takes " + std::to_string(want) +
                                    " label values, got " + std::to_string(n.label.size()));
      if (info.schema.size() == want && want > 0) {
        try {
          info.schema.validate(n.label);
        } catch (const std::exception& e) {
          throw std::invalid_argument(path + ".label: " + e.what());
        }
      }
      if (want > 0) {
        auto l = torch::tensor(n.label, torch::kFloat).to(device);
        t.label = l.unsqueeze(0).expand({batch_, want}).contiguous();
      }
    }
    if (n.mask.defined()) t.mask = compiled_mask(n.mask, image_size_, device);
    t.active = n.enabled && (!solo_mode || n.solo);
    t.split = parent_shared && info.denoising && t.label.defined();
    if (t.active && t.guidance != 1.0 && t.label.defined()) {
      t.guidance_at = add_value(t.guidance);
      // Both bounds always (+∞ is a float too): dragging them later is an edit of values alone.
      t.interval_at = add_value(t.guidance_interval.lo);
      add_value(t.guidance_interval.hi);
    }
    c.term = static_cast<int>(terms_.size());
    slots.term = c.term;
    terms_.push_back(std::move(t));
    if (!terms_.back().active) return std::nullopt;
    c.weight_at = slots.weight_at = add_value(c.weight);
    return c;
  }
  if (!n.enabled) {
    // Still register the subtree's terms (so term indices follow the tree), all inactive.
    for (const Node* t : collect_terms(n)) {
      CTerm ct;
      ct.name = t->name;
      ct.model = models.at(t->model);
      ct.attention_masks = ct.model->info().attention_masks;
      terms_.push_back(std::move(ct));
    }
    return std::nullopt;
  }
  for (size_t i = 0; i < n.children.size(); ++i) {
    NodePath child_at = at;
    child_at.push_back(static_cast<int>(i));
    auto child = build(n.children[i], models, device, solo_mode, child_at, c.shared_prior);
    if (n.kind == NodeKind::Not) {
      (i == 0 ? c.has_pos : c.has_neg) = child.has_value();
      if (!child) continue;
    }
    if (child) c.children.push_back(std::move(*child));
  }
  if (c.children.empty()) return std::nullopt;
  c.weight_at = slots.weight_at = add_value(c.weight);
  if (c.kind == NodeKind::Or) c.temperature_at = slots.temperature_at = add_value(c.temperature);
  if (c.kind == NodeKind::Not) c.coefficient_at = slots.coefficient_at = add_value(c.coefficient);
  return c;
}

CompiledComposition::Parts CompiledComposition::eval(const CNode& n, const Leaf& leaf) const {
  const torch::Tensor w = value(n.weight_at);
  // Always multiplied (×1 is exact): a weight dragged away from 1 later must not change the graph.
  auto weighted = [&](Parts p, bool weigh_prior_share) {
    p.pull = p.pull * w;
    if (p.prior.defined()) {
      p.prior = p.prior * w;
      if (weigh_prior_share) p.prior_weight = p.prior_weight * w;
    }
    return p;
  };
  switch (n.kind) {
    case NodeKind::Term:  // a term's weight scales its pull and its share of the prior
      return weighted(leaf(n.term), true);
    case NodeKind::And: {
      Parts sum;
      for (const auto& c : n.children) {
        Parts pc = eval(c, leaf);
        if (!n.shared_prior) pc = {pc.total(), {}, {}};
        sum.pull = sum.pull.defined() ? sum.pull + pc.pull : pc.pull;
        if (pc.prior.defined()) {
          sum.prior = sum.prior.defined() ? sum.prior + pc.prior : pc.prior;
          sum.prior_weight = sum.prior_weight.defined() ? sum.prior_weight + pc.prior_weight : pc.prior_weight;
        }
      }
      return weighted(sum, false);
    }
    case NodeKind::Or: {
      if (n.children.size() == 1) return weighted({eval(n.children[0], leaf).total(), {}, {}}, false);
      std::vector<torch::Tensor> es;
      for (const auto& c : n.children) es.push_back(eval(c, leaf).total());
      const torch::Tensor t = value(n.temperature_at);
      return weighted({-torch::logsumexp(-t * torch::stack(es, 1), 1) / t, {}, {}}, false);
    }
    case NodeKind::Not: {
      size_t i = 0;
      Parts pos, neg;
      if (n.has_pos) pos = eval(n.children[i++], leaf);
      if (n.has_neg) neg = eval(n.children[i++], leaf);
      const torch::Tensor c = value(n.coefficient_at);
      if (!n.shared_prior || !pos.pull.defined()) {
        torch::Tensor e;
        if (pos.pull.defined() && neg.pull.defined()) e = pos.total() - c * neg.total();
        else if (pos.pull.defined()) e = pos.total();
        else e = -c * neg.total();
        return weighted({e, {}, {}}, false);
      }
      // One prior: the positive side's; the negative side gives only its pull (its full energy when
      // it has no prior of its own).
      if (neg.pull.defined()) pos.pull = pos.pull - c * neg.pull;
      return weighted(pos, false);
    }
  }
  return {};
}

torch::Tensor CompiledComposition::energy(const torch::Tensor& x, const std::vector<torch::Tensor>& attention,
                                          double sigma, std::vector<torch::Tensor>* per_term) const {
  return energy(x, attention, torch::full({}, sigma, x.options()), per_term);
}

torch::Tensor CompiledComposition::energy(const torch::Tensor& x, const std::vector<torch::Tensor>& attention,
                                          const torch::Tensor& sigma, std::vector<torch::Tensor>* per_term) const {
  if (per_term) per_term->assign(terms_.size(), torch::Tensor());
  // Nothing enabled: a flat energy, so sampling reduces to noise + clamp.
  if (!root_) return (x * 0.0).flatten(1).sum(1);
  return eval(*root_, model_leaf(x, attention, sigma, per_term)).total();
}

torch::Tensor CompiledComposition::combine(const std::vector<torch::Tensor>& term_energy) const {
  if (!root_) return {};
  // Leaves are whole term energies, so a shared-prior node sums them as an "each" node would: the
  // shares ∂E/∂E_i this gives are the terms' weights (sampling/gradient_maps.h says so).
  return eval(*root_, [&](int term) -> Parts {
    if (term >= static_cast<int>(term_energy.size()) || !term_energy[static_cast<size_t>(term)].defined())
      throw std::invalid_argument("combine: no energy given for active term '" + terms_[static_cast<size_t>(term)].name + "'");
    return {term_energy[static_cast<size_t>(term)].reshape({-1}), {}, {}};
  }).total();
}

int CompiledComposition::num_stages() const {
  if (!root_) return 1;
  return root_->kind == NodeKind::And ? static_cast<int>(root_->children.size()) : 1;
}

torch::Tensor CompiledComposition::stage_energy(int stage, const torch::Tensor& x,
                                                const std::vector<torch::Tensor>& attention,
                                                const torch::Tensor& sigma,
                                                std::vector<torch::Tensor>* per_term) const {
  if (!root_ || root_->kind != NodeKind::And) return energy(x, attention, sigma, per_term);
  if (per_term && per_term->size() != terms_.size()) per_term->assign(terms_.size(), torch::Tensor());
  auto e = eval(root_->children.at(stage), model_leaf(x, attention, sigma, per_term)).total();
  return e * value(root_->weight_at);
}

namespace {
void node_key(const CompiledComposition::CNode& n, std::string* out) {
  *out += "(" + to_string(n.kind) + ":" + std::to_string(n.term) + (n.has_pos ? "p" : "") + (n.has_neg ? "n" : "") +
          (n.shared_prior ? "s" : "");
  for (const auto& c : n.children) node_key(c, out);
  *out += ")";
}
}  // namespace

std::string CompiledComposition::structure_key() const {
  std::string k = std::to_string(batch_) + "/" + std::to_string(host_values_.size()) + "/";
  if (root_) node_key(*root_, &k);
  for (const auto& t : terms_) {
    k += "[" + t.name + "|" + std::to_string(reinterpret_cast<std::uintptr_t>(t.model.get())) + "|" +
         (t.label.defined() ? std::to_string(t.label.size(1)) : "-") + "|" + (t.mask.defined() ? "m" : "-") + "|" +
         std::to_string(t.guidance_at) + "|" + std::to_string(t.attention_masks) + (t.active ? "a" : "") +
         (t.split ? "s" : "") + (t.any_label ? "*" : "") + "]";
  }
  return k;
}

bool CompiledComposition::same_structure(const CompiledComposition& o) const {
  return channels_ == o.channels_ && image_size_ == o.image_size_ && values_.device() == o.values_.device() &&
         structure_key() == o.structure_key();
}

void CompiledComposition::assign_values(const CompiledComposition& o) {
  if (!same_structure(o)) throw std::invalid_argument("assign_values: the compositions differ in structure");
  torch::NoGradGuard no_grad;
  values_.copy_(o.values_);
  host_values_ = o.host_values_;
  root_ = o.root_;    // same shape; carries the compiled doubles for display
  slots_ = o.slots_;  // the same structure may sit at other paths (a pruned subtree moved)
  for (size_t i = 0; i < terms_.size(); ++i) {
    // Drawn labels belong to this chain's samples, not to the tree's values.
    if (terms_[i].label.defined() && !terms_[i].any_label) terms_[i].label.copy_(o.terms_[i].label);
    if (terms_[i].mask.defined()) terms_[i].mask.copy_(o.terms_[i].mask);
    terms_[i].guidance = o.terms_[i].guidance;
    terms_[i].guidance_interval = o.terms_[i].guidance_interval;
  }
}

void CompiledComposition::write_value(int at, double v) {
  host_values_[static_cast<size_t>(at)] = static_cast<float>(v);
  torch::NoGradGuard no_grad;
  values_.select(0, at).fill_(v);  // a fill on the device: nothing to copy from the host
}

bool CompiledComposition::apply_value(const ValueEdit& e) {
  auto it = slots_.find(node_path_text(e.path));
  if (it == slots_.end()) return true;  // inside a disabled subtree: nothing of it is compiled
  const Slots& s = it->second;
  using F = ValueEdit::Field;
  if (e.field == F::Weight || e.field == F::Temperature || e.field == F::Coefficient) {
    const int at = e.field == F::Weight ? s.weight_at : e.field == F::Temperature ? s.temperature_at : s.coefficient_at;
    if (at >= 0) write_value(at, e.number);  // none: a pruned node, or a field its kind does not have
    return true;
  }
  if (s.term < 0) return false;  // a term's field on an operator: let the compile say what is wrong
  CTerm& t = terms_[static_cast<size_t>(s.term)];
  const ModelInfo info = t.model->info();
  switch (e.field) {
    case F::Guidance: {
      // Guidance 1 is no guidance at all (the plain conditional energy), a different graph: a switch to
      // or from it recompiles, as does guidance on a model that cannot be guided (the compile refuses it).
      if (e.number != 1.0 && !(info.denoising && info.label_size > 0)) return false;
      const bool guided = t.active && e.number != 1.0 && t.label.defined();
      if (guided != (t.guidance_at >= 0)) return false;
      t.guidance = e.number;
      if (guided) write_value(t.guidance_at, e.number);
      return true;
    }
    case F::GuidanceInterval:
      t.guidance_interval = e.interval;
      if (t.interval_at >= 0) {
        write_value(t.interval_at, e.interval.lo);
        write_value(t.interval_at + 1, e.interval.hi);
      }
      return true;
    case F::Label: {
      if (t.any_label) return true;  // its labels are drawn per sample; the tree's label is unused
      const int want = info.label_size;
      if (static_cast<int>(e.label.size()) != want) return false;
      if (want == 0) return true;
      if (info.schema.size() == want) {
        try {
          info.schema.validate(e.label);
        } catch (const std::exception&) {
          return false;  // out of the schema's range: the compile reports it
        }
      }
      torch::NoGradGuard no_grad;
      t.label.copy_(torch::tensor(e.label, torch::kFloat).unsqueeze(0).expand_as(t.label));
      return true;
    }
    case F::Mask: {
      if (e.mask.defined() != t.mask.defined()) return false;  // a mask added or removed
      if (!e.mask.defined()) return true;
      torch::NoGradGuard no_grad;
      t.mask.copy_(compiled_mask(e.mask, image_size_, device_));
      return true;
    }
    default:
      return false;
  }
}

bool CompiledComposition::needs_sigma() const {
  for (const auto& t : terms_)
    if (t.active && t.denoising) return true;
  return false;
}

std::vector<std::shared_ptr<EnergyModel>> CompiledComposition::active_models() const {
  std::vector<std::shared_ptr<EnergyModel>> out;
  for (const auto& t : terms_) {
    if (!t.active) continue;
    bool seen = false;
    for (const auto& m : out) seen = seen || m == t.model;
    if (!seen) out.push_back(t.model);
  }
  return out;
}

}  // namespace ebm
