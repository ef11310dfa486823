#include "engine/sampler.h"

#include "engine/device_check.h"
#include "engine/energy/noise_level.h"
#include "engine/gpu/precision_scope.h"
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

// Adds one stage's statistics to a step's (Sequential mode runs several stages per step): energies
// add up, gradient norms add in quadrature, accept outcomes add (step() averages them).
void add_stage_stats(StepStats* stats, const torch::Tensor& energy, const torch::Tensor& grad_norm,
                     const torch::Tensor& accepted) {
  stats->energy = stats->energy.defined() ? stats->energy + energy : energy;
  stats->grad_norm =
      stats->grad_norm.defined() ? (stats->grad_norm.square() + grad_norm.square()).sqrt() : grad_norm;
  if (accepted.defined()) stats->accepted = stats->accepted.defined() ? stats->accepted + accepted : accepted;
}

}  // namespace

void AcceptanceMeter::add(const StepStats& st) {
  if (!st.accepted.defined()) return;
  sum_ = sum_.defined() ? sum_ + st.accepted.sum() : st.accepted.sum();
  tests_ += st.accepted.size(0);
}

double AcceptanceMeter::mean() const {
  return tests_ > 0 ? sum_.item<double>() / static_cast<double>(tests_) : -1.0;
}

std::int64_t ChainState::bytes() const {
  auto nb = [](const torch::Tensor& t) { return t.defined() ? static_cast<std::int64_t>(t.numel() * t.element_size()) : 0; };
  std::int64_t n = nb(x) + nb(sample_ids) + nb(resets);
  for (const auto& kv : attention) n += nb(kv.second);
  return n;
}

// The tensors a captured Joint step reads (inputs, written in place before each replay) and writes
// (outputs, cloned into the chain state after it): their addresses are baked into the graph.
struct Sampler::Captured {
  gpu::StepGraph graph;
  std::string key;
  torch::Tensor x, ids, resets;
  StepScalars sc;
  torch::Tensor x_out, resets_out;
  StepStats stats;
};

Sampler::Sampler() = default;

Sampler::~Sampler() {
  captured_.reset();  // before the models' caches the graph reads
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
  // An edit of values alone (a weight, label, guidance, mask) is written into the compiled tensors
  // in place, so a running chain keeps its captured graph. Anything else recompiles at the next step
  // (where errors are reported, as before).
  bool in_place = false;
  if (compiled_ && !dirty_) {
    try {
      CompiledComposition fresh(root, models_, device(), compiled_->batch());
      if (fresh.same_structure(*compiled_)) {
        compiled_->assign_values(fresh);
        in_place = true;
      }
    } catch (const std::exception&) {
      in_place = false;
    }
  }
  root_ = std::move(root);
  has_root_ = true;
  if (!in_place) dirty_ = true;
}

void Sampler::set_params(SamplerParams p) {
  p.validate();
  params_ = std::move(p);
}

SamplerParams Sampler::chain_params() const {
  return has_chain() ? params_.with_identity_of(chain_params_) : params_;
}

torch::Device Sampler::device() const {
  return has_chain() ? state_.x.device() : parse_device(params_.device);
}

void Sampler::ensure_compiled() {
  if (!dirty_ && compiled_) return;
  if (!has_root_) throw std::invalid_argument("no composition set; add at least one model term");
  const std::int64_t batch = has_chain() ? state_.x.size(0) : params_.batch;
  captured_.reset();
  compiled_.reset();
  compiled_.emplace(root_, models_, device(), batch);
  dirty_ = false;
  start_mean_ = noise_start_mean(compiled_->channels()).to(device());
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
  bool changed = want.size() != cached_.size();
  for (auto& m : want)
    if (std::find(cached_.begin(), cached_.end(), m) == cached_.end()) {
      m->begin_chain();
      changed = true;
    }
  // A captured graph reads the cached weights of the models it was recorded with.
  if (changed) captured_.reset();
  cached_ = std::move(want);
}

torch::Tensor Sampler::init_images(const torch::Tensor& key, const torch::Tensor& colour_key,
                                   const torch::Tensor& ids) const {
  const auto& p = chain_params_;
  const std::int64_t c = compiled_->channels(), s = compiled_->image_size();
  switch (p.init) {
    case InitMode::Uniform:
      return counter_uniform(key, ids, {c, s, s});
    case InitMode::Gaussian:
      return counter_normal(key, ids, {c, s, s}).mul_(0.5).add_(0.5);
    case InitMode::Noise: {
      const double sigma0 = p.schedule.annealed() ? p.schedule.levels.front().sigma : 1.0;
      return counter_normal(key, ids, {c, s, s}).mul_(sigma0).add_(start_mean_);
    }
    case InitMode::GreyColour: {
      auto colour = counter_uniform(colour_key, ids, {c, 1, 1});
      return counter_uniform(key, ids, {c, s, s}).mul_(0.5).add_(colour.mul_(0.5));
    }
    case InitMode::Image: {
      if (init_image_.defined()) return init_image_.unsqueeze(0).expand({ids.size(0), c, s, s}).contiguous();
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
    require_available(dev, "the chain's device");
    gpu::check_precision(params_.precision, dev);
    for (auto& kv : models_) kv.second->to_device(dev);
    state_ = ChainState{};
    captured_.reset();
    init_image_ = torch::Tensor();
    dirty_ = true;
    // Compile for the new batch before there is a chain (ensure_compiled uses params_.batch then).
    ensure_compiled();
    // A restart re-caches every model's spectral weights (they may have been retrained meanwhile).
    sync_spectral_caches(false);
    auto ids = torch::tensor(params_.ids(), torch::kLong).to(dev);
    ChainState s;
    s.sample_ids = ids;
    s.x = init_images(key_tensor(noise_key(params_.seed, NoiseStream::Init, 0, 0), dev),
                      key_tensor(noise_key(params_.seed, NoiseStream::InitColour, 0, 0), dev), ids);
    if (params_.init == InitMode::Image) init_image_ = s.x[0].clone();  // resets need no host copy
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

void Sampler::stop() {
  captured_.reset();
  sync_spectral_caches(false);
}

void Sampler::restore(const ChainState& s) {
  if (!s.x.defined()) throw std::invalid_argument("cannot restore an empty chain state");
  if (has_chain() && (s.x.sizes() != state_.x.sizes() || s.x.device() != state_.x.device()))
    throw std::invalid_argument("kept state has another batch, image shape or device than the chain; restart instead");
  state_ = s;
  // A kept state may lack masks of terms added since: the next step compiles and adds them. The
  // compiled tensors and a captured graph do not depend on the state (it is copied in each step).
  bool masks_missing = false;
  if (compiled_)
    for (const auto& t : compiled_->terms()) masks_missing = masks_missing || (t.attention_masks > 0 && !s.attention.count(t.name));
  if (masks_missing) dirty_ = true;
}

Sampler::StepScalars Sampler::make_scalars(const StepSettings& set, const LangevinParams& lp) const {
  const torch::Device dev = state_.x.device();
  auto f = torch::TensorOptions().dtype(torch::kFloat).device(dev);
  StepScalars sc;
  sc.step_lr = torch::empty({}, f);
  sc.noise_std = torch::empty({}, f);
  sc.sigma = torch::empty({}, f);
  sc.noise_key = key_tensor(0, dev);
  sc.reset_key = key_tensor(0, dev);
  sc.reset_colour_key = key_tensor(0, dev);
  sc.accept_key = key_tensor(0, dev);
  write_scalars(set, lp, &sc);
  return sc;
}

void Sampler::write_scalars(const StepSettings& set, const LangevinParams& lp, StepScalars* sc) const {
  // fill_ with a host value launches a fill on the device: no copy from host memory to wait for.
  const auto seed = chain_params_.seed;
  sc->step_lr.fill_(lp.step_lr);
  sc->noise_std.fill_(lp.noise_std);
  sc->sigma.fill_(set.sigma);
  sc->noise_key.fill_(static_cast<std::int64_t>(noise_key(seed, NoiseStream::Langevin, 0, state_.step)));
  sc->reset_key.fill_(static_cast<std::int64_t>(noise_key(seed, NoiseStream::Reset, 0, state_.step)));
  sc->reset_colour_key.fill_(static_cast<std::int64_t>(noise_key(seed, NoiseStream::ResetColour, 0, state_.step)));
  sc->accept_key.fill_(static_cast<std::int64_t>(noise_key(seed, NoiseStream::Accept, 0, state_.step)));
}

Sampler::Evaluation Sampler::evaluate(int stage, bool sequential, const torch::Tensor& xn,
                                      const std::vector<torch::Tensor>& att_in, const std::vector<size_t>& mask_terms,
                                      const StepScalars& sc) {
  const auto& terms = compiled_->terms();
  // Energy and input gradients, in chunks of micro_batch samples (the whole batch by default).
  const std::int64_t batch = xn.size(0);
  const std::int64_t chunk = params_.micro_batch > 0 ? std::min(params_.micro_batch, batch) : batch;
  std::vector<torch::Tensor> e_parts, g_parts;
  std::vector<std::vector<torch::Tensor>> term_parts(terms.size()), mask_grad_parts(mask_terms.size());
  for (std::int64_t lo = 0; lo < batch; lo += chunk) {
    const std::int64_t n = std::min(chunk, batch - lo);
    torch::Tensor xi = (chunk == batch ? xn : xn.narrow(0, lo, n)).detach();
    // Tensor-core arithmetic runs on NHWC: cuDNN then picks its channels-last kernels.
    if (xi.is_cuda() && params_.precision != Precision::Fp32) xi = xi.contiguous(torch::MemoryFormat::ChannelsLast);
    xi.requires_grad_(true);
    std::vector<torch::Tensor> ai(terms.size());
    std::vector<torch::Tensor> inputs{xi};
    for (size_t i : mask_terms) {
      ai[i] = (chunk == batch ? att_in[i] : att_in[i].narrow(0, lo, n)).detach().requires_grad_(true);
      inputs.push_back(ai[i]);
    }
    std::vector<torch::Tensor> per_term;
    torch::Tensor e;
    std::vector<torch::Tensor> grads;
    {
      // Sampling needs input gradients even when the caller runs under NoGradGuard.
      torch::AutoGradMode enable(true);
      e = sequential ? compiled_->stage_energy(stage, xi, ai, sc.sigma, &per_term)
                     : compiled_->energy(xi, ai, sc.sigma, &per_term);
      e = e.reshape({-1}).to(torch::kFloat);
      if (e.requires_grad())
        grads = torch::autograd::grad({e.sum()}, inputs, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                      /*allow_unused=*/true);
    }
    e_parts.push_back(e.detach());
    g_parts.push_back(grads.empty() || !grads[0].defined() ? torch::zeros_like(xi) : grads[0]);
    for (size_t i = 0; i < terms.size(); ++i)
      if (i < per_term.size() && per_term[i].defined()) term_parts[i].push_back(per_term[i].to(torch::kFloat));
    for (size_t j = 0; j < mask_terms.size(); ++j)
      mask_grad_parts[j].push_back(grads.size() > j + 1 ? grads[j + 1] : torch::Tensor());
  }
  auto join = [](std::vector<torch::Tensor>& v) { return v.size() == 1 ? v[0] : torch::cat(v, 0); };
  Evaluation ev;
  ev.e = join(e_parts);
  ev.g = join(g_parts).to(torch::kFloat).contiguous();
  ev.per_term.assign(terms.size(), torch::Tensor());
  for (size_t i = 0; i < terms.size(); ++i)
    if (term_parts[i].size() == e_parts.size()) ev.per_term[i] = join(term_parts[i]);
  ev.mask_grads.assign(mask_terms.size(), torch::Tensor());
  for (size_t j = 0; j < mask_terms.size(); ++j)
    if (!mask_grad_parts[j].empty() && mask_grad_parts[j][0].defined()) ev.mask_grads[j] = join(mask_grad_parts[j]);
  return ev;
}

torch::Tensor Sampler::one_step(int stage, bool sequential, torch::Tensor x, const torch::Tensor& ids,
                                std::map<std::string, torch::Tensor>* att, const StepScalars& sc,
                                const LangevinParams& lp, bool add_noise, StepStats* stats) {
  // Of `lp` only the structural fields (clamp, projection) are read here: step size and noise come
  // from `sc`, so a captured graph replays with the values written before each replay.
  const auto& seed = chain_params_.seed;
  const std::int64_t c = x.size(1), h = x.size(2), w = x.size(3);
  auto stage_key = [&](const torch::Tensor& stage0, NoiseStream stream) {
    return stage == 0 ? stage0
                      : key_tensor(noise_key(seed, stream, static_cast<std::uint32_t>(stage), state_.step), x.device());
  };
  torch::Tensor xi_noise;
  if (add_noise) xi_noise = counter_normal(stage_key(sc.noise_key, NoiseStream::Langevin), ids, {c, h, w});

  const auto& terms = compiled_->terms();
  std::vector<torch::Tensor> att_in(terms.size());
  std::vector<size_t> mask_terms;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (!terms[i].active || terms[i].attention_masks == 0) continue;
    if (params_.step_rule != StepRule::Langevin)
      throw std::invalid_argument("step rule " + to_string(params_.step_rule) + " cannot sample term '" + terms[i].name +
                                  "': its attention masks follow a gradient chain of their own; use step rule langevin");
    torch::Tensor m = att->at(terms[i].name).detach();
    if (params_.mask_noise > 0)
      m = m + counter_normal(noise_key(seed, NoiseStream::MaskNoise, name_hash(terms[i].name) ^ static_cast<std::uint32_t>(stage),
                                       state_.step),
                             ids, {terms[i].attention_masks, h, w})
                  .mul_(params_.mask_noise);
    att_in[i] = m;
    mask_terms.push_back(i);
  }

  if (params_.step_rule != StepRule::Langevin && add_noise)
    return metropolis_step(stage, sequential, x.detach(), xi_noise, stage_key(sc.accept_key, NoiseStream::Accept), ids,
                           sc, lp, params_.step_rule == StepRule::Hmc ? params_.leapfrog_steps : 1, stats);

  // x <- x + N(0, noise²), before the gradient (spec §4.2).
  torch::Tensor xn = x.detach();
  if (add_noise) xn = xn + xi_noise * sc.noise_std;
  Evaluation ev = evaluate(stage, sequential, xn, att_in, mask_terms, sc);
  stats->per_term = std::move(ev.per_term);

  torch::Tensor g = project_gradient(ev.g, lp);
  torch::Tensor out = xn.detach() - g * sc.step_lr;
  if (lp.clamp) out = out.clamp(lp.clamp_lo, lp.clamp_hi);

  // comb_mask chain (spec §4.2): step -attention_lr·dE/dmask, then 3×3 average pool without padding.
  for (size_t j = 0; j < mask_terms.size(); ++j) {
    if (!ev.mask_grads[j].defined()) continue;  // term not in this stage
    auto m = att_in[mask_terms[j]].detach() - params_.attention_lr * ev.mask_grads[j];
    (*att)[terms[mask_terms[j]].name] =
        torch::avg_pool2d(m, {3, 3}, {1, 1}, {1, 1}, /*ceil_mode=*/false, /*count_include_pad=*/false);
  }

  // A noiseless step under MALA/HMC: its gradient step is always taken (as in a captured graph,
  // where the same step runs through metropolis_step with noise 0).
  add_stage_stats(stats, ev.e, g.detach().flatten(1).norm(2, 1),
                  params_.step_rule != StepRule::Langevin ? torch::ones_like(ev.e) : torch::Tensor());
  return out.detach();
}

torch::Tensor Sampler::metropolis_step(int stage, bool sequential, const torch::Tensor& x, const torch::Tensor& xi,
                                       const torch::Tensor& accept_key, const torch::Tensor& ids,
                                       const StepScalars& sc, const LangevinParams& lp, int leapfrogs,
                                       StepStats* stats) {
  // HMC on U = E/T with momentum ξ ~ N(0, I), leapfrog step ε = noise and T = noise²/(2·step), so
  // that (ε/2)·∇U = (step/noise)·∇E: one leapfrog step moves x to x − step·∇E(x) + noise·ξ, the
  // MALA proposal, and its accept test is MALA's. All of it is tensor arithmetic on the device (no
  // host sync), so a captured graph holds it; a replay with noise 0 (a predictor step) takes the
  // plain gradient step instead.
  const torch::Tensor noiseless = sc.noise_std.eq(0);
  const torch::Tensor eps = torch::where(noiseless, torch::ones_like(sc.noise_std), sc.noise_std);
  const torch::Tensor half_kick = sc.step_lr / eps;  // (ε/2)·(1/T) per unit of ∇E
  const Evaluation start = evaluate(stage, sequential, x, {}, {}, sc);
  const torch::Tensor drift = project_gradient(start.g, lp);
  auto clamped = [&](torch::Tensor t) { return lp.clamp ? t.clamp(lp.clamp_lo, lp.clamp_hi) : t; };
  // With the clamp on each position is clamped into the box: the test is then approximate near the
  // box's faces. (Refusing every trajectory that leaves the box would be exact, and would refuse
  // nearly all of them on a 12,288-pixel image.) The denoising ladders run unclamped.
  torch::Tensor p = xi - drift * half_kick;
  torch::Tensor pos = x;
  Evaluation end;
  for (int l = 0; l < leapfrogs; ++l) {
    pos = clamped(pos + p * eps).detach();
    end = evaluate(stage, sequential, pos, {}, {}, sc);
    const double kicks = l + 1 < leapfrogs ? 2.0 : 1.0;  // full kicks inside, a half kick at the end
    p = p - project_gradient(end.g, lp) * half_kick * kicks;
  }
  auto sum_sq = [](const torch::Tensor& t) { return t.square().flatten(1).sum(1); };
  // log α = (U(x) + ½‖ξ‖²) − (U(x') + ½‖p'‖²), U = E/T = E·2·step/noise².
  const torch::Tensor log_alpha =
      (start.e - end.e) * (2.0 * sc.step_lr / eps.square()) + 0.5 * (sum_sq(xi) - sum_sq(p));
  const torch::Tensor u = counter_uniform(accept_key, ids, {1}).reshape({-1});
  const torch::Tensor take = torch::log(u).lt(log_alpha).logical_and(noiseless.logical_not());  // NaN refuses
  const torch::Tensor plain = clamped(x - drift * sc.step_lr);
  const torch::Tensor out =
      torch::where(noiseless, plain, torch::where(take.view({-1, 1, 1, 1}), pos, x));

  // The chain's energies are those of where it is now (at x for a plain step, as the Langevin rule
  // reports the energy before its update).
  const torch::Tensor e = torch::where(take, end.e, start.e);
  stats->per_term.assign(start.per_term.size(), torch::Tensor());
  for (size_t i = 0; i < start.per_term.size(); ++i)
    if (start.per_term[i].defined() && end.per_term[i].defined())
      stats->per_term[i] = torch::where(take, end.per_term[i], start.per_term[i]);
  add_stage_stats(stats, e, drift.flatten(1).norm(2, 1), take.logical_or(noiseless).to(torch::kFloat));
  return out.detach();
}

void Sampler::reset_rows(const torch::Tensor& bad, const torch::Tensor& ids, const StepScalars& sc, torch::Tensor* x,
                         std::map<std::string, torch::Tensor>* att) const {
  auto fresh = init_images(sc.reset_key, sc.reset_colour_key, ids);
  *x = torch::where(per_sample_view(bad, x->dim()), fresh, *x);
  for (const auto& t : compiled_->terms()) {
    if (t.attention_masks == 0 || !att->count(t.name)) continue;
    auto& m = (*att)[t.name];
    m = torch::where(per_sample_view(bad, m.dim()), init_attention(t.name, t.attention_masks, ids), m);
  }
}

bool Sampler::graph_eligible() const {
  if (!params_.cuda_graph || !gpu::StepGraph::available() || !state_.x.is_cuda()) return false;
  if (params_.mode != SampleMode::Joint) return false;
  for (const auto& t : compiled_->terms())
    if (t.active && t.attention_masks > 0) return false;  // the mask chain stays eager
  return true;
}

std::string Sampler::graph_key(const LangevinParams& lp) const {
  return std::to_string(lp.clamp) + "/" + std::to_string(lp.clamp_lo) + "/" + std::to_string(lp.clamp_hi) + "/" +
         to_string(lp.proj) + "/" + std::to_string(lp.proj_norm) + "/" + std::to_string(params_.micro_batch) + "/" +
         to_string(params_.precision) + "/" + to_string(params_.step_rule) + "/" + std::to_string(params_.leapfrog_steps);
}

StepStats Sampler::graph_step(const StepSettings& set, const LangevinParams& lp) {
  const std::string key = graph_key(lp);
  if (!captured_ || captured_->key != key) {
    captured_.reset();
    auto c = std::make_unique<Captured>();
    c->key = key;
    c->x = state_.x.clone();
    c->ids = state_.sample_ids.clone();
    c->resets = state_.resets.clone();
    c->sc = make_scalars(set, lp);
    Captured* cp = c.get();
    auto body = [this, cp, lp] {
      std::map<std::string, torch::Tensor> no_masks;
      StepStats st;
      torch::Tensor x = one_step(0, false, cp->x, cp->ids, &no_masks, cp->sc, lp, /*add_noise=*/true, &st);
      torch::Tensor bad = torch::isfinite(x).flatten(1).all(1).logical_and(torch::isfinite(st.energy)).logical_not();
      reset_rows(bad, cp->ids, cp->sc, &x, &no_masks);
      cp->x_out = x;
      cp->resets_out = cp->resets + bad.to(torch::kLong);
      st.reset = bad;
      cp->stats = std::move(st);
    };
    c->graph.capture(body, state_.x.device().index());
    captured_ = std::move(c);
    ++graph_captures_;
  }
  Captured& c = *captured_;
  c.x.copy_(state_.x);
  c.resets.copy_(state_.resets);
  write_scalars(set, lp, &c.sc);
  c.graph.replay();
  // Outputs are cloned: a kept ChainState or snapshot must not change at the next replay.
  StepStats st;
  st.energy = c.stats.energy.clone();
  st.grad_norm = c.stats.grad_norm.clone();
  st.reset = c.stats.reset.clone();
  if (c.stats.accepted.defined()) st.accepted = c.stats.accepted.clone();
  for (const auto& t : c.stats.per_term) st.per_term.push_back(t.defined() ? t.clone() : t);
  state_.x = c.x_out.clone();
  state_.resets = c.resets_out.clone();
  state_.step += 1;
  last_path_ = "cuda graph";
  return st;
}

StepStats Sampler::step() {
  if (!has_chain()) throw std::logic_error("Sampler::step: no chain; call start() first");
  ensure_compiled();
  sync_spectral_caches(true);
  torch::NoGradGuard no_grad;  // only the energy evaluation records a graph
  const StepSettings set = params_.at(state_.step);
  const LangevinParams lp = params_.langevin(set);
  if (compiled_->needs_sigma()) require_noise_level(set.sigma);
  gpu::check_precision(params_.precision, state_.x.device());
  gpu::PrecisionScope precision(params_.precision, state_.x.device());
  if (graph_eligible()) {
    try {
      return graph_step(set, lp);
    } catch (const std::runtime_error& e) {
      // A model the graph cannot hold (a host sync inside its energy): sample eagerly from now on.
      captured_.reset();
      params_.cuda_graph = false;
      last_path_ = std::string("eager (graph capture failed: ") + e.what() + ")";
    }
  }
  StepStats st;
  const StepScalars sc = make_scalars(set, lp);
  const torch::Tensor& ids = state_.sample_ids;
  torch::Tensor x = state_.x;
  auto att = state_.attention;
  if (params_.mode == SampleMode::Joint) {
    x = one_step(0, false, x, ids, &att, sc, lp, set.noise_std > 0, &st);
  } else {
    const int stages = compiled_->num_stages();
    std::vector<torch::Tensor> merged(compiled_->terms().size());
    for (int s = 0; s < stages; ++s) {
      x = one_step(s, true, x, ids, &att, sc, lp, set.noise_std > 0, &st);
      for (size_t i = 0; i < merged.size(); ++i)
        if (st.per_term[i].defined()) merged[i] = st.per_term[i];
    }
    st.per_term = std::move(merged);
    if (st.accepted.defined() && stages > 1) st.accepted = st.accepted / static_cast<double>(stages);
    if (params_.trailing_noise && set.noise_std > 0) {
      x = x + counter_normal(noise_key(chain_params_.seed, NoiseStream::Langevin, kTrailingStage, state_.step), ids,
                             {x.size(1), x.size(2), x.size(3)})
                  .mul_(set.noise_std);
    }
  }

  // A chain that produced NaN/Inf is re-initialised (deterministically, from the Reset stream).
  torch::Tensor finite = torch::isfinite(x).flatten(1).all(1).logical_and(torch::isfinite(st.energy));
  torch::Tensor bad = finite.logical_not();
  torch::Tensor resets = state_.resets;
  // On the CPU the check is free; on CUDA it would stall the stream, so the where() runs always.
  const bool any_bad = !x.is_cpu() || bad.any().item<bool>();
  if (any_bad) {
    reset_rows(bad, ids, sc, &x, &att);
    resets = resets + bad.to(torch::kLong);
    st.reset = bad;
  }
  state_.x = x;
  state_.attention = std::move(att);
  state_.resets = resets;
  state_.step += 1;
  if (last_path_.rfind("eager (graph", 0) != 0) last_path_ = "eager";
  return st;
}

}  // namespace ebm
