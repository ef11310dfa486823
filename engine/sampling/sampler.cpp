#include "engine/sampling/sampler.h"

#include "engine/energy/noise_level.h"
#include "engine/gpu/device_check.h"
#include "engine/gpu/precision_scope.h"
#include "engine/rng/counter_rng.h"

#include <algorithm>
#include <stdexcept>

namespace ebm {

namespace {

// Sub-stream of the Sequential mode's trailing noise (stages use 0..n-1).
constexpr std::uint32_t kTrailingStage = 0xFFFFu;

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

Sampler::Sampler() = default;

Sampler::~Sampler() {
  graph_.reset();  // before the models' caches the graph reads
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
  // A tree that differs from the compiled one in values alone (a preset of the same shape) is written
  // into the compiled tensors in place, so a running chain keeps its captured graph. Anything else
  // recompiles at the next step (where errors are reported, as before). Slider ticks take the
  // cheaper road of edit_values(), which compiles nothing.
  bool in_place = false;
  if (compiled_ && !dirty_) {
    try {
      ++compilations_;
      CompiledComposition fresh(root, models_, device(), compiled_->batch(), guidance_defaults());
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

void Sampler::edit_values(const std::vector<ValueEdit>& edits) {
  if (!has_root_) throw std::invalid_argument("no composition to edit: set one first (cmd::SetComposition)");
  Node next = root_;
  for (const auto& e : edits) apply_value_edit(next, e);  // throws before anything changed
  bool in_place = compiled_.has_value() && !dirty_;
  for (const auto& e : edits) {
    if (!in_place) break;
    try {
      in_place = compiled_->apply_value(e);
    } catch (const std::exception&) {
      in_place = false;
    }
  }
  root_ = std::move(next);
  // A partly written compiled tree is compiled afresh from the edited one before the next step.
  if (!in_place) dirty_ = true;
}

void Sampler::set_params(SamplerParams p) { set_params(CheckedSamplerParams::check(std::move(p))); }

void Sampler::set_params(CheckedSamplerParams p) {
  const GuidanceDefaults before = guidance_defaults();
  params_ = p.get();
  // Before a chain, the params' init decides the default guidance (guidance_rule.h): compile again.
  if (guidance_defaults() != before) dirty_ = true;
}

SamplerParams Sampler::chain_params() const {
  return has_chain() ? params_.with_identity_of(chain_params_) : params_;
}

GuidanceDefaults Sampler::guidance_defaults() const {
  const SamplerParams& p = has_chain() ? chain_params_ : params_;
  return p.init == InitMode::Image ? GuidanceDefaults::ModelValues : GuidanceDefaults::CapCrowded;
}

torch::Device Sampler::device() const {
  return has_chain() ? state_.x.device() : parse_device(params_.device);
}

void Sampler::ensure_compiled() {
  if (!dirty_ && compiled_) return;
  if (!has_root_) throw std::invalid_argument("no composition set; add at least one model term");
  const std::int64_t batch = has_chain() ? state_.x.size(0) : params_.batch;
  graph_.reset();
  compiled_.reset();
  ++compilations_;
  compiled_.emplace(root_, models_, device(), batch, guidance_defaults());
  if (compiled_->has_any_labels()) {
    // Before a chain exists (start()) its ids are the params'; afterwards the chain's own.
    const auto ids = has_chain() ? state_.sample_ids : torch::tensor(params_.ids(), torch::kLong);
    compiled_->draw_any_labels(ids, has_chain() ? chain_params_.seed : params_.seed);
  }
  dirty_ = false;
  init_.set_shape(compiled_->channels(), compiled_->image_size(), noise_start_mean(*compiled_).to(device()));
  if (has_chain()) {
    if (compiled_->channels() != state_.x.size(1) || compiled_->image_size() != state_.x.size(2)) {
      compiled_.reset();
      dirty_ = true;
      throw std::invalid_argument("the edited composition's models make " + std::to_string(state_.x.size(1)) +
                                  "-channel images of another size than the running chain; restart instead");
    }
    for (const auto& t : compiled_->terms())
      if (t.attention_masks > 0 && !state_.attention.count(t.name))
        state_.attention[t.name] = init_.attention(t.name, t.attention_masks, state_.sample_ids);
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
  if (changed) graph_.reset();
  cached_ = std::move(want);
}

void Sampler::start() {
  // On failure (a composition that does not compile for the new batch/device), the old chain stays.
  ChainState old_state = state_;
  SamplerParams old_chain = chain_params_;
  try {
    chain_params_ = params_;
    init_.set_chain(chain_params_);
    const torch::Device dev = parse_device(params_.device);
    require_available(dev, "the chain's device");
    gpu::check_precision(params_.precision, dev);
    for (auto& kv : models_) kv.second->to_device(dev);
    state_ = ChainState{};
    graph_.reset();
    dirty_ = true;
    // Compile for the new batch before there is a chain (ensure_compiled uses params_.batch then).
    ensure_compiled();
    // A restart re-caches every model's spectral weights (they may have been retrained meanwhile).
    sync_spectral_caches(false);
    auto ids = torch::tensor(params_.ids(), torch::kLong).to(dev);
    ChainState s;
    s.sample_ids = ids;
    init_.prepare_image(dev);
    s.x = init_.images(key_tensor(noise_key(params_.seed, NoiseStream::Init, 0, 0), dev),
                       key_tensor(noise_key(params_.seed, NoiseStream::InitColour, 0, 0), dev), ids);
    s.resets = torch::zeros({ids.size(0)}, torch::TensorOptions().dtype(torch::kLong).device(dev));
    for (const auto& t : compiled_->terms())
      if (t.attention_masks > 0) s.attention[t.name] = init_.attention(t.name, t.attention_masks, ids);
    s.step = 0;
    state_ = std::move(s);
    sync_spectral_caches(true);
  } catch (...) {
    state_ = std::move(old_state);
    chain_params_ = std::move(old_chain);
    init_.set_chain(chain_params_);
    dirty_ = true;
    throw;
  }
}

void Sampler::stop() {
  graph_.reset();
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

Evaluation Sampler::evaluate(int stage, bool sequential, const torch::Tensor& xn, const std::vector<torch::Tensor>& att_in,
                             const std::vector<size_t>& mask_terms, const StepScalars& sc) {
  const auto& terms = compiled_->terms();
  // Energy and input gradients, in chunks of micro_batch samples (the whole batch by default).
  const std::int64_t batch = xn.size(0);
  const std::int64_t chunk = params_.micro_batch > 0 ? std::min(params_.micro_batch, batch) : batch;
  std::vector<torch::Tensor> e_parts, g_parts;
  std::vector<std::vector<torch::Tensor>> term_parts(terms.size()), mask_grad_parts(mask_terms.size());
  for (std::int64_t lo = 0; lo < batch; lo += chunk) {
    const std::int64_t n = std::min(chunk, batch - lo);
    torch::Tensor xi = (chunk == batch ? xn : xn.narrow(0, lo, n)).detach();
    // Channels-last input for the reduced-precision paths: cuDNN's tensor cores and oneDNN's bf16 kernels
    // (CPU) both prefer NHWC.
    if ((xi.is_cuda() && params_.precision != Precision::Fp32) || params_.precision == Precision::Bf16)
      xi = xi.contiguous(torch::MemoryFormat::ChannelsLast);
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
                                const LangevinParams& lp, bool add_noise, StepStats* stats, double heun_to) {
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
      m = m + counter_normal(noise_key(seed, NoiseStream::MaskNoise, term_stream(terms[i].name) ^ static_cast<std::uint32_t>(stage),
                                       state_.step),
                             ids, {terms[i].attention_masks, h, w})
                  .mul_(params_.mask_noise);
    att_in[i] = m;
    mask_terms.push_back(i);
  }
  const StepSize size{sc.step_lr, sc.noise_std};

  if (params_.step_rule != StepRule::Langevin && add_noise) {
    const std::vector<torch::Tensor> no_masks;
    const std::vector<size_t> no_mask_terms;
    const EvaluateFn at_point = [&](const torch::Tensor& p) {
      return evaluate(stage, sequential, p, no_masks, no_mask_terms, sc);
    };
    const torch::Tensor u = counter_uniform(stage_key(sc.accept_key, NoiseStream::Accept), ids, {1}).reshape({-1});
    const int leapfrogs = params_.step_rule == StepRule::Hmc ? params_.leapfrog_steps : 1;
    RuleResult r = metropolis_rule(x.detach(), xi_noise, u, size, lp, leapfrogs, at_point);
    stats->per_term = std::move(r.at.per_term);
    add_stage_stats(stats, r.energy, r.grad.flatten(1).norm(2, 1), r.accepted);
    return r.x;
  }

  const EvaluateFn at_point = [&](const torch::Tensor& p) {
    return evaluate(stage, sequential, p, att_in, mask_terms, sc);
  };
  RuleResult r = langevin_rule(x, xi_noise, size, lp, at_point);
  stats->per_term = std::move(r.at.per_term);
  // Where the gradient was taken: x + noise·ξ.
  const torch::Tensor start = xi_noise.defined() ? x.detach() + sc.noise_std * xi_noise : x.detach();
  if (!sequential && compiled_->needs_sigma() && r.at.g.defined()) {
    // Tweedie's estimate there: a few elementwise ops.
    stats->denoised = (start - sc.sigma * sc.sigma * r.at.g).detach();
  }
  if (heun_to > 0) {
    // Heun's correction (euler_schedule.h): the slope at the Euler step's end point and σ_{k+1},
    // averaged with the one at the start. The step's energies and previews stay the start's.
    StepScalars at_next = sc;
    at_next.sigma = torch::full({}, heun_to, sc.sigma.options());
    const Evaluation end = evaluate(stage, sequential, r.x, att_in, mask_terms, at_next);
    const torch::Tensor end_lr = (sc.sigma - heun_to) * heun_to;
    torch::Tensor out = start - 0.5 * sc.step_lr * r.grad - 0.5 * end_lr * project_gradient(end.g, lp);
    if (lp.clamp) out = out.clamp(lp.clamp_lo, lp.clamp_hi);
    r.x = out.detach();
  }

  // comb_mask chain (spec §4.2): step -attention_lr·dE/dmask, then 3×3 average pool without padding.
  for (size_t j = 0; j < mask_terms.size(); ++j) {
    if (!r.at.mask_grads[j].defined()) continue;  // term not in this stage
    auto m = att_in[mask_terms[j]].detach() - params_.attention_lr * r.at.mask_grads[j];
    (*att)[terms[mask_terms[j]].name] =
        torch::avg_pool2d(m, {3, 3}, {1, 1}, {1, 1}, /*ceil_mode=*/false, /*count_include_pad=*/false);
  }

  // A noiseless step under MALA/HMC: its gradient step is always taken (as in a captured graph,
  // where the same step runs through the Metropolis rule with noise 0).
  add_stage_stats(stats, r.energy, r.grad.flatten(1).norm(2, 1),
                  params_.step_rule != StepRule::Langevin ? torch::ones_like(r.energy) : torch::Tensor());
  return r.x;
}

bool Sampler::graph_eligible() const {
  if (!params_.cuda_graph || !GraphStep::available() || !state_.x.is_cuda()) return false;
  if (params_.mode != SampleMode::Joint) return false;
  for (const auto& t : compiled_->terms())
    if (t.active && t.attention_masks > 0) return false;  // the mask chain stays eager
  return true;
}

std::string Sampler::graph_key(const LangevinParams& lp) const {
  return std::to_string(lp.clamp) + "/" + std::to_string(lp.clamp_lo) + "/" + std::to_string(lp.clamp_hi) + "/" +
         to_string(lp.proj) + "/" + std::to_string(lp.proj_norm) + "/" + std::to_string(params_.micro_batch) + "/" +
         to_string(params_.precision) + "/" + to_string(params_.step_rule) + "/" + std::to_string(params_.leapfrog_steps) + "/" + std::to_string(init_.holds());
}

StepStats Sampler::graph_step(const StepSettings& set, const LangevinParams& lp) {
  const std::string key = graph_key(lp);
  if (!graph_.matches(key)) {
    graph_.capture(key, state_, make_step_scalars(state_.x.device(), chain_params_.seed, state_.step, set, init_.holds()),
                   [this, lp](GraphStep::Buffers& b) {
                     std::map<std::string, torch::Tensor> no_masks;
                     StepStats st;
                     torch::Tensor x = one_step(0, false, b.x, b.ids, &no_masks, b.sc, lp, /*add_noise=*/true, &st);
                     x = init_.hold(x, b.sc.hold_key, b.sc.hold_sigma, b.ids);
                     torch::Tensor bad =
                         torch::isfinite(x).flatten(1).all(1).logical_and(torch::isfinite(st.energy)).logical_not();
                     init_.reset(bad, b.ids, b.sc.reset_key, b.sc.reset_colour_key, compiled_->terms(), &x, &no_masks);
                     b.x_out = x;
                     b.resets_out = b.resets + bad.to(torch::kLong);
                     st.reset = bad;
                     b.stats = std::move(st);
                   });
  }
  StepStats st = graph_.replay(
      &state_, [&](StepScalars* sc) { write_step_scalars(sc, chain_params_.seed, state_.step, set); });
  state_.step += 1;
  last_path_ = "cuda graph";
  return st;
}

StepStats Sampler::eager_step(const StepSettings& set, const LangevinParams& lp) {
  StepStats st;
  const StepScalars sc = make_step_scalars(state_.x.device(), chain_params_.seed, state_.step, set, init_.holds());
  const torch::Tensor& ids = state_.sample_ids;
  torch::Tensor x = state_.x;
  auto att = state_.attention;
  if (params_.mode == SampleMode::Joint) {
    x = one_step(0, false, x, ids, &att, sc, lp, set.noise_std > 0, &st, set.heun_sigma);
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

  x = init_.hold(x, sc.hold_key, sc.hold_sigma, ids);  // an edit's held region (nothing without one)

  // A chain that produced NaN/Inf is re-initialised (deterministically, from the Reset stream).
  torch::Tensor finite = torch::isfinite(x).flatten(1).all(1).logical_and(torch::isfinite(st.energy));
  torch::Tensor bad = finite.logical_not();
  torch::Tensor resets = state_.resets;
  // On the CPU the check is free; on CUDA it would stall the stream, so the where() runs always.
  const bool any_bad = !x.is_cpu() || bad.any().item<bool>();
  if (any_bad) {
    init_.reset(bad, ids, sc.reset_key, sc.reset_colour_key, compiled_->terms(), &x, &att);
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

StepStats Sampler::step() {
  if (!has_chain()) throw std::logic_error("Sampler::step: no chain; call start() first");
  ensure_compiled();
  sync_spectral_caches(true);
  torch::NoGradGuard no_grad;  // only the energy evaluation records a graph
  StepSettings set = params_.at(state_.step);
  // Where the chain will be after this step: the next step's σ, none after the last (an edit's held
  // region is put back to the image noised that much).
  if (init_.holds() && compiled_->needs_sigma() && state_.step + 1 < params_.total_steps())
    set.hold_sigma = params_.at(state_.step + 1).sigma;
  const LangevinParams lp = params_.langevin(set);
  if (compiled_->needs_sigma()) require_noise_level(set.sigma);
  gpu::check_precision(params_.precision, state_.x.device());
  gpu::PrecisionScope precision(params_.precision, state_.x.device());
  // A Heun step (two evaluations, a σ of its own for the second) runs eagerly; the captured graph of
  // the walk's plain steps stays for the denoise after it.
  if (set.heun_sigma == 0 && graph_eligible()) {
    try {
      return graph_step(set, lp);
    } catch (const std::runtime_error& e) {
      // A model the graph cannot hold (a host sync inside its energy): sample eagerly from now on.
      graph_.reset();
      params_.cuda_graph = false;
      last_path_ = std::string("eager (graph capture failed: ") + e.what() + ")";
    }
  }
  return eager_step(set, lp);
}

}  // namespace ebm
