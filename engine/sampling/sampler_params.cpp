#include "engine/sampling/sampler_params.h"

#include "engine/sampling/batch_split.h"

#include <cmath>
#include <stdexcept>

namespace ebm {

namespace {
[[noreturn]] void bad(const std::string& field, const std::string& what) {
  throw std::invalid_argument("sampler." + field + ": " + what);
}
void finite_pos(double v, const std::string& field, bool allow_zero) {
  if (!std::isfinite(v) || v < 0 || (!allow_zero && v == 0))
    bad(field, std::string("must be a finite number ") + (allow_zero ? ">= 0" : "> 0") + ", got " + std::to_string(v));
}
}  // namespace

std::string to_string(InitMode m) {
  switch (m) {
    case InitMode::Uniform: return "uniform";
    case InitMode::Gaussian: return "gaussian";
    case InitMode::GreyColour: return "grey_colour";
    case InitMode::Image: return "image";
    case InitMode::Noise: return "noise";
  }
  return "?";
}

InitMode init_mode_from_string(const std::string& s) {
  if (s == "uniform") return InitMode::Uniform;
  if (s == "gaussian") return InitMode::Gaussian;
  if (s == "grey_colour" || s == "grey_color") return InitMode::GreyColour;
  if (s == "image") return InitMode::Image;
  if (s == "noise") return InitMode::Noise;
  throw std::invalid_argument("unknown init mode '" + s + "' (expected uniform, gaussian, grey_colour, image, noise)");
}

std::string to_string(SampleMode m) { return m == SampleMode::Joint ? "joint" : "sequential"; }

SampleMode sample_mode_from_string(const std::string& s) {
  if (s == "joint") return SampleMode::Joint;
  if (s == "sequential") return SampleMode::Sequential;
  throw std::invalid_argument("unknown sampling mode '" + s + "' (expected joint or sequential)");
}

std::string to_string(StepRule r) {
  switch (r) {
    case StepRule::Langevin: return "langevin";
    case StepRule::Mala: return "mala";
    case StepRule::Hmc: return "hmc";
  }
  return "langevin";
}

StepRule step_rule_from_string(const std::string& s) {
  if (s == "langevin") return StepRule::Langevin;
  if (s == "mala") return StepRule::Mala;
  if (s == "hmc") return StepRule::Hmc;
  throw std::invalid_argument("unknown step rule '" + s + "' (expected langevin, mala or hmc)");
}

std::string to_string(ProjNorm p) {
  switch (p) {
    case ProjNorm::None: return "none";
    case ProjNorm::Elementwise: return "li";
    case ProjNorm::L2: return "l2";
    case ProjNorm::L2PerSample: return "l2_sample";
  }
  return "?";
}

ProjNorm proj_norm_from_string(const std::string& s) {
  if (s == "none") return ProjNorm::None;
  if (s == "li") return ProjNorm::Elementwise;
  if (s == "l2") return ProjNorm::L2;
  if (s == "l2_sample") return ProjNorm::L2PerSample;
  throw std::invalid_argument("unknown proj_norm type '" + s + "' (expected none, li, l2, l2_sample)");
}

namespace {
// An edit from a noised image enters the ladder at its noise level (schedule_from_sigma); one that holds
// a region takes the walk's top steps there first.
bool cut_at_init_sigma(SamplerParams& p) {
  if (p.init != InitMode::Image || !(p.init_sigma > 0) || !p.schedule.annealed()) return false;
  Schedule cut = schedule_from_sigma(p.schedule, p.init_sigma, p.init_region.defined());
  if (cut.levels.size() == p.schedule.levels.size()) return false;
  p.schedule = std::move(cut);
  return true;
}
}  // namespace

bool apply_denoising_schedule(SamplerParams& p, const std::vector<ModelInfo>& models, const LadderOptions& ladder) {
  if (p.schedule.annealed()) return cut_at_init_sigma(p);
  Schedule s = denoising_schedule(models, ladder);
  if (!s.annealed()) return false;
  p.schedule = std::move(s);
  p.clamp = false;
  if (p.init != InitMode::Image) p.init = InitMode::Noise;
  cut_at_init_sigma(p);
  return true;
}

double init_noise_sigma(const SamplerParams& p) {
  if (p.init != InitMode::Image || !(p.init_sigma > 0)) return 0.0;
  return p.schedule.annealed() ? p.schedule.levels.front().sigma : p.init_sigma;
}

std::int64_t SamplerParams::total_steps() const {
  if (!schedule.annealed()) return steps;
  std::int64_t n = 0;
  for (const auto& l : schedule.levels) n += l.steps;
  return n;
}

StepSettings SamplerParams::at(std::int64_t step) const {
  if (!schedule.annealed()) return {step_lr, noise_std, 0.0, 0};
  std::int64_t acc = 0;
  for (size_t i = 0; i < schedule.levels.size(); ++i) {
    const auto& l = schedule.levels[i];
    acc += l.steps;
    if (step < acc || i + 1 == schedule.levels.size())
      return {l.step_lr, l.noise_std, l.sigma, static_cast<int>(i), l.heun_sigma};
  }
  return {step_lr, noise_std, 0.0, 0};
}

std::vector<std::int64_t> SamplerParams::ids() const {
  if (!sample_ids.empty()) return sample_ids;
  std::vector<std::int64_t> out(static_cast<size_t>(batch));
  for (std::int64_t i = 0; i < batch; ++i) out[static_cast<size_t>(i)] = sample_offset + i;
  return out;
}

LangevinParams SamplerParams::langevin(const StepSettings& s) const {
  LangevinParams p;
  p.step_lr = s.step_lr;
  p.noise_std = s.noise_std;
  p.clamp = clamp;
  p.clamp_lo = clamp_lo;
  p.clamp_hi = clamp_hi;
  p.proj = proj;
  p.proj_norm = proj_norm;
  return p;
}

void SamplerParams::validate() const {
  if (steps < 0 || steps > kMaxSteps) bad("steps", "must be in [0, " + std::to_string(kMaxSteps) + "]");
  if (!std::isfinite(step_lr)) bad("step_lr", "must be finite");
  finite_pos(noise_std, "noise_std", true);
  if (!std::isfinite(clamp_lo) || !std::isfinite(clamp_hi) || clamp_lo >= clamp_hi)
    bad("clamp", "needs finite lo < hi (the original clamps to [0, 1])");
  finite_pos(proj_norm, "proj_norm", true);
  if (!std::isfinite(attention_lr)) bad("attention_lr", "must be finite");
  finite_pos(mask_noise, "mask_noise", true);
  if (schedule.levels.size() > static_cast<size_t>(kMaxScheduleLevels))
    bad("schedule", "at most " + std::to_string(kMaxScheduleLevels) + " levels");
  for (size_t i = 0; i < schedule.levels.size(); ++i) {
    const auto& l = schedule.levels[i];
    const std::string f = "schedule[" + std::to_string(i) + "]";
    if (l.steps < 1 || l.steps > kMaxSteps) bad(f + ".steps", "must be in [1, " + std::to_string(kMaxSteps) + "]");
    finite_pos(l.sigma, f + ".sigma", true);
    if (!std::isfinite(l.step_lr)) bad(f + ".step_lr", "must be finite");
    finite_pos(l.noise_std, f + ".noise_std", true);
    finite_pos(l.heun_sigma, f + ".heun_sigma", true);
    if (l.heun_sigma > 0) {
      // Heun's step is the Euler step of the probability-flow ODE corrected: it goes down the ladder.
      if (!(l.heun_sigma < l.sigma)) bad(f + ".heun_sigma", "must be below the level's sigma (a Heun step goes from sigma down to heun_sigma)");
      if (step_rule != StepRule::Langevin)
        bad(f + ".heun_sigma", "Heun steps run under step rule langevin only (a Metropolis test has no second-order step); drop --heun or use --step-rule langevin");
      if (mode != SampleMode::Joint)
        bad(f + ".heun_sigma", "Heun steps need joint sampling (mode sequential evaluates the terms one by one)");
    }
  }
  if (leapfrog_steps < 1 || leapfrog_steps > 100) bad("leapfrog_steps", "must be in [1, 100]");
  if (step_rule != StepRule::Langevin) {
    // T = noise²/(2·step) must be a temperature: a MALA/HMC step with noise needs a positive step size.
    const std::string why = "must be > 0 with step rule " + to_string(step_rule) +
                            " (its target is exp(-E/T), T = noise_std^2/(2*step_lr))";
    if (schedule.levels.empty() && noise_std > 0 && !(step_lr > 0)) bad("step_lr", why);
    for (size_t i = 0; i < schedule.levels.size(); ++i)
      if (schedule.levels[i].noise_std > 0 && !(schedule.levels[i].step_lr > 0))
        bad("schedule[" + std::to_string(i) + "].step_lr", why);
  }
  if (total_steps() > kMaxSteps) bad("schedule", "adds up to more than " + std::to_string(kMaxSteps) + " steps");
  if (micro_batch < 0 || micro_batch > kMaxBatch)
    bad("micro_batch", "must be in [0, " + std::to_string(kMaxBatch) + "] (0: the whole batch at once)");
  if (batch < 1 || batch > kMaxBatch) bad("batch", "must be in [1, " + std::to_string(kMaxBatch) + "], got " + std::to_string(batch));
  if (sample_offset < 0 || sample_offset > (std::int64_t{1} << 40)) bad("sample_offset", "must be in [0, 2^40]");
  if (!sample_ids.empty()) {
    if (static_cast<std::int64_t>(sample_ids.size()) != batch)
      bad("sample_ids", "has " + std::to_string(sample_ids.size()) + " ids but batch is " + std::to_string(batch) +
                            "; give one id per sample or none");
    for (auto id : sample_ids)
      if (id < 0 || id > (std::int64_t{1} << 40)) bad("sample_ids", "ids must be in [0, 2^40]");
  }
  if (init == InitMode::Image) {
    if (!init_image.defined() || init_image.dim() != 3)
      bad("init_image", "init mode 'image' needs a [C,H,W] image");
  }
  if (!std::isfinite(init_sigma) || init_sigma < 0 || init_sigma > kMaxInitSigma)
    bad("init_sigma", "must be in [0, " + std::to_string(static_cast<int>(kMaxInitSigma)) + "] (0: the image as it is)");
  if (init_region.defined()) {
    if (init != InitMode::Image)
      bad("init_region", "holds part of an image start; it needs init 'image' (drop the region for init '" + to_string(init) + "')");
    if (init_region.dim() != 3 || init_region.size(0) != 1 || init_region.size(1) < 1 || init_region.size(2) < 1)
      bad("init_region", "must be a [1,H,W] mask (a grey PNG: white = redraw, black = keep)");
    else if (!torch::isfinite(init_region).all().item<bool>() || init_region.min().item<double>() < 0 ||
             init_region.max().item<double>() > 1)
      bad("init_region", "values must be in [0, 1] (0 keeps the image, 1 redraws)");
  }
  if (init_sigma > 0 && init != InitMode::Image)
    bad("init_sigma", "noises an image start; it needs init 'image' (set init_sigma to 0 for init '" + to_string(init) + "')");
  parse_device(device);
  if (devices < 1 || devices > kMaxDevices)
    bad("devices", "must be in [1, " + std::to_string(kMaxDevices) + "], got " + std::to_string(devices));
  if (devices > 1) {
    try {
      check_batch_split(batch, devices, std::to_string(devices) + " devices");
    } catch (const std::invalid_argument& e) {
      bad("devices", e.what());
    }
  }
}

CheckedSamplerParams CheckedSamplerParams::check(SamplerParams p) {
  p.validate();
  return CheckedSamplerParams(std::move(p));
}

namespace {

// Both undefined, or the same tensor, or equal values of the same shape (an image or a region).
bool same_tensor(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.defined() != b.defined()) return false;
  return !a.defined() || a.is_same(b) || (a.sizes() == b.sizes() && torch::equal(a, b));
}

}  // namespace

bool SamplerParams::same_chain(const SamplerParams& o) const {
  return seed == o.seed && batch == o.batch && sample_offset == o.sample_offset && sample_ids == o.sample_ids &&
         init == o.init && init_sigma == o.init_sigma && device == o.device && devices == o.devices &&
         same_tensor(init_image, o.init_image) && same_tensor(init_region, o.init_region);
}

SamplerParams SamplerParams::with_identity_of(const SamplerParams& chain) const {
  SamplerParams p = *this;
  p.seed = chain.seed;
  p.batch = chain.batch;
  p.sample_offset = chain.sample_offset;
  p.sample_ids = chain.sample_ids;
  p.init = chain.init;
  p.init_image = chain.init_image;
  p.init_sigma = chain.init_sigma;
  p.init_region = chain.init_region;
  p.device = chain.device;
  p.devices = chain.devices;
  return p;
}

torch::Device parse_device(const std::string& s) {
  try {
    torch::Device d(s);
    if (d.is_cpu() || d.is_cuda()) return d;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("unknown device '" + s + "' (expected cpu, cuda or cuda:N)");
}

}  // namespace ebm
