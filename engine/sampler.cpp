#include "engine/sampler.h"

#include "engine/rng/counter_rng.h"

#include <algorithm>
#include <stdexcept>

namespace ebm {

namespace {

// Sub-stream of a term's mask noise: FNV-1a of its name, so masks keep their streams when other
// terms are added or removed.
std::uint32_t name_hash(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

// Sub-stream of the Sequential mode's trailing noise (stages use 0..n-1).
constexpr std::uint32_t kTrailingStage = 0xFFFFu;

torch::Tensor per_sample_view(const torch::Tensor& v, std::int64_t dims) {
  std::vector<std::int64_t> shape(static_cast<size_t>(dims), 1);
  shape[0] = v.size(0);
  return v.view(shape);
}

}  // namespace

std::int64_t ChainState::bytes() const {
  auto nb = [](const torch::Tensor& t) { return t.defined() ? static_cast<std::int64_t>(t.numel() * t.element_size()) : 0; };
  std::int64_t n = nb(x) + nb(sample_ids) + nb(resets);
  for (const auto& kv : attention) n += nb(kv.second);
  return n;
}

Sampler::~Sampler() {
  for (auto& m : cached_) m->end_chain();
}

void Sampler::set_models(ModelSet models) {
  for (const auto& kv : models)
    if (!kv.second) throw std::invalid_argument("model '" + kv.first + "' is empty");
  if (has_chain())
    for (auto& kv : models) kv.second->to_device(state_.x.device());
  models_ = std::move(models);
  dirty_ = true;
}

void Sampler::set_composition(Node root) {
  validate_structure(root);
  root_ = std::move(root);
  has_root_ = true;
  dirty_ = true;
}

void Sampler::set_params(SamplerParams p) {
  p.validate();
  params_ = std::move(p);
}

SamplerParams Sampler::chain_params() const {
  SamplerParams p = params_;
  if (!has_chain()) return p;
  p.seed = chain_params_.seed;
  p.batch = chain_params_.batch;
  p.sample_offset = chain_params_.sample_offset;
  p.sample_ids = chain_params_.sample_ids;
  p.init = chain_params_.init;
  p.init_image = chain_params_.init_image;
  p.device = chain_params_.device;
  return p;
}

torch::Device Sampler::device() const {
  return has_chain() ? state_.x.device() : parse_device(params_.device);
}

void Sampler::ensure_compiled() {
  if (!dirty_ && compiled_) return;
  if (!has_root_) throw std::invalid_argument("no composition set; add at least one model term");
  const std::int64_t batch = has_chain() ? state_.x.size(0) : params_.batch;
  compiled_.reset();
  compiled_.emplace(root_, models_, device(), batch);
  dirty_ = false;
  if (has_chain()) {
    if (compiled_->channels() != state_.x.size(1) || compiled_->image_size() != state_.x.size(2)) {
      compiled_.reset();
      dirty_ = true;
      throw std::invalid_argument("the edited composition's models make " + std::to_string(state_.x.size(1)) +
                                  "-channel images of another size than the running chain; restart instead");
    }
    for (const auto& t : compiled_->terms())
      if (t.attention_masks > 0 && !state_.attention.count(t.name))
        state_.attention[t.name] = init_attention(t.name, t.attention_masks, state_.sample_ids);
  }
}

const CompiledComposition& Sampler::compiled() {
  ensure_compiled();
  return *compiled_;
}

std::vector<std::string> Sampler::term_names() {
  std::vector<std::string> out;
  for (const auto& t : compiled().terms()) out.push_back(t.name);
  return out;
}

void Sampler::sync_spectral_caches(bool chain_running) {
  std::vector<std::shared_ptr<EnergyModel>> want;
  if (chain_running && compiled_) want = compiled_->active_models();
  for (auto& m : cached_)
    if (std::find(want.begin(), want.end(), m) == want.end()) m->end_chain();
  for (auto& m : want)
    if (std::find(cached_.begin(), cached_.end(), m) == cached_.end()) m->begin_chain();
  cached_ = std::move(want);
}

torch::Tensor Sampler::init_images(NoiseStream stream, NoiseStream colour_stream, std::int64_t counter,
                                   const torch::Tensor& ids) const {
  const auto& p = chain_params_;
  const std::int64_t c = compiled_->channels(), s = compiled_->image_size();
  const auto key = noise_key(p.seed, stream, 0, counter);
  switch (p.init) {
    case InitMode::Uniform:
      return counter_uniform(key, ids, {c, s, s});
    case InitMode::Gaussian:
      return counter_normal(key, ids, {c, s, s}).mul_(0.5).add_(0.5);
    case InitMode::Noise: {
      const double sigma0 = p.schedule.annealed() ? p.schedule.levels.front().sigma : 1.0;
      return counter_normal(key, ids, {c, s, s}).mul_(sigma0).add_(noise_start_mean(c).to(ids.device()));
    }
    case InitMode::GreyColour: {
      auto colour = counter_uniform(noise_key(p.seed, colour_stream, 0, counter), ids, {c, 1, 1});
      return counter_uniform(key, ids, {c, s, s}).mul_(0.5).add_(colour.mul_(0.5));
    }
    case InitMode::Image: {
      auto img = p.init_image.to(torch::kFloat).unsqueeze(0);
      if (img.size(1) == 4 && c == 3) img = img.slice(1, 0, 3);  // drop alpha
      if (img.size(1) == 1 && c == 3) img = img.expand({1, 3, img.size(2), img.size(3)});
      if (img.size(1) != c)
        throw std::invalid_argument("init image has " + std::to_string(img.size(1)) + " channels, the models take " +
                                    std::to_string(c));
      if (img.size(2) != s || img.size(3) != s)
        img = torch::nn::functional::interpolate(img, torch::nn::functional::InterpolateFuncOptions()
                                                          .size(std::vector<int64_t>{s, s})
                                                          .mode(torch::kBilinear)
                                                          .align_corners(false));
      return img.clamp(0.0, 1.0).to(ids.device()).expand({ids.size(0), c, s, s}).contiguous();
    }
  }
  throw std::logic_error("unknown init mode");
}

torch::Tensor Sampler::noise_start_mean(std::int64_t channels) const {
  // Mean over the active denoising terms' training-image means: a composition's concepts share one
  // dataset, and a ladder started elsewhere (0.5 is brighter than the cubes floor) draws larger,
  // paler objects (MODEL_CARD.md).
  torch::Tensor sum = torch::zeros({channels, 1, 1});
  int n = 0;
  for (const auto& m : compiled_->active_models()) {
    const ModelInfo info = m->info();
    if (!info.denoising || static_cast<std::int64_t>(info.data_mean.size()) != channels) continue;
    sum += torch::tensor(info.data_mean).view({channels, 1, 1});
    ++n;
  }
  return n == 0 ? torch::full({channels, 1, 1}, 0.5) : sum / n;
}

torch::Tensor Sampler::init_attention(const std::string& term, int k, const torch::Tensor& ids) const {
  const std::int64_t s = compiled_->image_size();
  // U(-1, 1) logits, as the reference's mask chain starts.
  auto key = noise_key(chain_params_.seed, NoiseStream::MaskInit, name_hash(term), 0);
  return counter_uniform(key, ids, {k, s, s}).mul_(2.0).sub_(1.0);
}

void Sampler::start() {
  // On failure (a composition that does not compile for the new batch/device), the old chain stays.
  ChainState old_state = state_;
  SamplerParams old_chain = chain_params_;
  try {
    chain_params_ = params_;
    const torch::Device dev = parse_device(params_.device);
    for (auto& kv : models_) kv.second->to_device(dev);
    state_ = ChainState{};
    dirty_ = true;
    // Compile for the new batch before there is a chain (ensure_compiled uses params_.batch then).
    ensure_compiled();
    // A restart re-caches every model's spectral weights (they may have been retrained meanwhile).
    sync_spectral_caches(false);
    auto ids = torch::tensor(params_.ids(), torch::kLong).to(dev);
    ChainState s;
    s.sample_ids = ids;
    s.x = init_images(NoiseStream::Init, NoiseStream::InitColour, 0, ids);
    s.resets = torch::zeros({ids.size(0)}, torch::TensorOptions().dtype(torch::kLong).device(dev));
    for (const auto& t : compiled_->terms())
      if (t.attention_masks > 0) s.attention[t.name] = init_attention(t.name, t.attention_masks, ids);
    s.step = 0;
    state_ = std::move(s);
    sync_spectral_caches(true);
  } catch (...) {
    state_ = std::move(old_state);
    chain_params_ = std::move(old_chain);
    dirty_ = true;
    throw;
  }
}

void Sampler::stop() { sync_spectral_caches(false); }

void Sampler::restore(const ChainState& s) {
  if (!s.x.defined()) throw std::invalid_argument("cannot restore an empty chain state");
  if (has_chain() && (s.x.sizes() != state_.x.sizes() || s.x.device() != state_.x.device()))
    throw std::invalid_argument("kept state has another batch, image shape or device than the chain; restart instead");
  state_ = s;
  dirty_ = true;
}

torch::Tensor Sampler::one_step(int stage, bool sequential, torch::Tensor x,
                                std::map<std::string, torch::Tensor>* att, StepStats* stats) {
  const StepSettings set = params_.at(state_.step);
  const LangevinParams lp = params_.langevin(set);
  const auto& ids = state_.sample_ids;
  const auto& seed = chain_params_.seed;
  const std::int64_t c = x.size(1), h = x.size(2), w = x.size(3);

  // x <- x + N(0, noise²), before the gradient (spec §4.2).
  torch::Tensor xn = x.detach();
  if (lp.noise_std > 0)
    xn = xn + counter_normal(noise_key(seed, NoiseStream::Langevin, static_cast<std::uint32_t>(stage), state_.step),
                             ids, {c, h, w})
                      .mul_(lp.noise_std);
  xn.requires_grad_(true);

  const auto& terms = compiled_->terms();
  std::vector<torch::Tensor> att_in(terms.size());
  std::vector<size_t> mask_terms;
  std::vector<torch::Tensor> inputs{xn};
  for (size_t i = 0; i < terms.size(); ++i) {
    if (!terms[i].active || terms[i].attention_masks == 0) continue;
    torch::Tensor m = att->at(terms[i].name).detach();
    if (params_.mask_noise > 0)
      m = m + counter_normal(noise_key(seed, NoiseStream::MaskNoise, name_hash(terms[i].name) ^ static_cast<std::uint32_t>(stage),
                                       state_.step),
                             ids, {terms[i].attention_masks, h, w})
                  .mul_(params_.mask_noise);
    m.requires_grad_(true);
    att_in[i] = m;
    inputs.push_back(m);
    mask_terms.push_back(i);
  }

  torch::Tensor e;
  std::vector<torch::Tensor> grads;
  {
    // Sampling needs input gradients even when the caller runs under NoGradGuard.
    torch::AutoGradMode enable(true);
    e = sequential ? compiled_->stage_energy(stage, xn, att_in, set.sigma, &stats->per_term)
                   : compiled_->energy(xn, att_in, set.sigma, &stats->per_term);
    e = e.reshape({-1});
    if (e.requires_grad())
      grads = torch::autograd::grad({e.sum()}, inputs, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                    /*allow_unused=*/true);
  }
  torch::Tensor g = grads.empty() || !grads[0].defined() ? torch::zeros_like(xn) : grads[0];
  g = project_gradient(g, lp);
  torch::Tensor out = xn.detach() - lp.step_lr * g;
  if (lp.clamp) out = out.clamp(lp.clamp_lo, lp.clamp_hi);

  // comb_mask chain (spec §4.2): step -attention_lr·dE/dmask, then 3×3 average pool without padding.
  for (size_t j = 0; j < mask_terms.size(); ++j) {
    const torch::Tensor& gm = grads.size() > j + 1 ? grads[j + 1] : torch::Tensor();
    if (!gm.defined()) continue;  // term not in this stage
    auto m = att_in[mask_terms[j]].detach() - params_.attention_lr * gm;
    (*att)[terms[mask_terms[j]].name] =
        torch::avg_pool2d(m, {3, 3}, {1, 1}, {1, 1}, /*ceil_mode=*/false, /*count_include_pad=*/false);
  }

  auto ed = e.detach();
  auto gn = g.detach().flatten(1).norm(2, 1);
  stats->energy = stats->energy.defined() ? stats->energy + ed : ed;
  stats->grad_norm = stats->grad_norm.defined() ? (stats->grad_norm.square() + gn.square()).sqrt() : gn;
  return out.detach();
}

void Sampler::reset_bad(const torch::Tensor& bad, torch::Tensor* x, std::map<std::string, torch::Tensor>* att) {
  const auto& ids = state_.sample_ids;
  auto fresh = init_images(NoiseStream::Reset, NoiseStream::ResetColour, state_.step, ids);
  *x = torch::where(per_sample_view(bad, x->dim()), fresh, *x);
  for (const auto& t : compiled_->terms()) {
    if (t.attention_masks == 0 || !att->count(t.name)) continue;
    auto& m = (*att)[t.name];
    m = torch::where(per_sample_view(bad, m.dim()), init_attention(t.name, t.attention_masks, ids), m);
  }
}

StepStats Sampler::step() {
  if (!has_chain()) throw std::logic_error("Sampler::step: no chain; call start() first");
  ensure_compiled();
  sync_spectral_caches(true);
  torch::NoGradGuard no_grad;  // only the energy evaluation records a graph
  StepStats st;
  torch::Tensor x = state_.x;
  auto att = state_.attention;
  if (params_.mode == SampleMode::Joint) {
    x = one_step(0, false, x, &att, &st);
  } else {
    const int stages = compiled_->num_stages();
    std::vector<torch::Tensor> merged(compiled_->terms().size());
    for (int s = 0; s < stages; ++s) {
      x = one_step(s, true, x, &att, &st);
      for (size_t i = 0; i < merged.size(); ++i)
        if (st.per_term[i].defined()) merged[i] = st.per_term[i];
    }
    st.per_term = std::move(merged);
    const double noise = params_.at(state_.step).noise_std;
    if (params_.trailing_noise && noise > 0) {
      x = x + counter_normal(noise_key(chain_params_.seed, NoiseStream::Langevin, kTrailingStage, state_.step),
                             state_.sample_ids, {x.size(1), x.size(2), x.size(3)})
                  .mul_(noise);
    }
  }

  // A chain that produced NaN/Inf is re-initialised (deterministically, from the Reset stream).
  torch::Tensor finite = torch::isfinite(x).flatten(1).all(1).logical_and(torch::isfinite(st.energy));
  torch::Tensor bad = finite.logical_not();
  torch::Tensor resets = state_.resets;
  // On the CPU the check is free; on CUDA it would stall the stream, so the where() runs always.
  const bool any_bad = !x.is_cpu() || bad.any().item<bool>();
  if (any_bad) {
    reset_bad(bad, &x, &att);
    resets = resets + bad.to(torch::kLong);
    st.reset = bad;
  }
  state_.x = x;
  state_.attention = std::move(att);
  state_.resets = resets;
  state_.step += 1;
  return st;
}

}  // namespace ebm
