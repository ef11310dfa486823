// Parameters of a sampling run: the Langevin step (spec §4.2/§5.2), the schedule (schedule.h), the
// chain's initialisation and identity (seed, batch, sample offset, device).
#pragma once

#include "engine/energy/energy_model.h"
#include "engine/gpu/precision.h"
#include "engine/sampling/schedule.h"
#include "engine/sampling/step_rules.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ebm {

// How a chain starts (spec §5.2 "init" column).
enum class InitMode {
  Uniform,     // U(0,1): celeba_combine, continual, imagenet_demo
  Gaussian,    // 0.5 + 0.5·N(0,1), not clipped: train.py's cubes "random" datasource
  GreyColour,  // U(0,1)/2 + per-image U(0,1) colour/2: ebm_sandbox composition_figure
  Image,       // a given image (SamplerParams::init_image) for every sample
  Noise,       // μ + σ₀·N(0,1), σ₀ the annealed schedule's first noise level (1 without one), μ the
               // mean training image of the composition's denoising models (per channel; 0.5 when
               // none says): the σ₀-noised state a denoising model's ladder was trained to start from
};
std::string to_string(InitMode m);
InitMode init_mode_from_string(const std::string& s);  // "uniform" | "gaussian" | "grey_colour" | "image" | "noise"

// Joint: one step on the whole composed energy per iteration. Sequential: the original
// continual/multi tasks — per iteration a separate noise + step + clamp for each child of the root
// And in turn (the root itself when it is not an And).
enum class SampleMode { Joint, Sequential };
std::string to_string(SampleMode m);
SampleMode sample_mode_from_string(const std::string& s);  // "joint" | "sequential"

// How one step moves the chain.
//   Langevin  the original scripts' step (unadjusted): x ← clamp((x + noise·ξ) − step·∇E(x + noise·ξ)).
//   Mala      Metropolis-adjusted Langevin: the proposal x' = x − step·∇E(x) + noise·ξ is taken with
//             probability min(1, exp(−(E(x') − E(x))/T) · q(x | x') / q(x' | x)), T = noise²/(2·step)
//             (1 on a denoising model's ladder), else x stays. Exact for exp(−E/T) at any step size
//             without clamp (the denoising ladders); with clamp on, each position is clamped into the
//             box and the test is approximate near its faces. Two energy evaluations per step.
//   Hmc       Hamiltonian Monte Carlo: `leapfrog_steps` leapfrog steps of size noise with momentum
//             ξ ~ N(0, I) on E/T, then the same kind of accept test on the total energy E/T + ½‖p‖².
//             One leapfrog step is MALA; more travel further per accept test. leapfrog_steps + 1
//             energy evaluations per step.
// Steps without noise (a predictor, the final denoise) are plain gradient steps under every rule;
// Mala and Hmc do not take comb_mask terms. Du et al. 2023 ("Reduce, Reuse, Recycle") found
// MALA/HMC samplers compose energy-parameterised diffusion models better than unadjusted ones.
enum class StepRule { Langevin, Mala, Hmc };
std::string to_string(StepRule r);
StepRule step_rule_from_string(const std::string& s);  // "langevin" | "mala" | "hmc"

std::string to_string(ProjNorm p);
ProjNorm proj_norm_from_string(const std::string& s);  // "none" | "li" | "l2" | "l2_sample"

struct SamplerParams;

// Puts a chain of a composition of these models on the schedule denoising models need, unless `p`
// already has an annealed schedule of its own: denoising_schedule(), no clamp along the ladder
// (noised states live outside [0, 1]; what is shown, saved or graded is clamped) and the `noise`
// start (a chain started from an image keeps it). An image start with init_sigma > 0 then walks the
// annealed schedule (its own or the new one) from init_sigma on: schedule_from_sigma(). Returns
// whether it changed `p`. The one place `ebm sample`, `ebm eval` and the studio decide this.
bool apply_denoising_schedule(SamplerParams& p, const std::vector<ModelInfo>& models, const LadderOptions& ladder);
inline bool apply_denoising_schedule(SamplerParams& p, const std::vector<ModelInfo>& models, int levels = 40,
                                     std::int64_t steps_per_level = 5, double r = 0.1) {
  return apply_denoising_schedule(p, models, LadderOptions{levels, steps_per_level, r, false, kDefaultTopSteps, 1.0});
}

// The noise an image start gets: the σ of the schedule's first level, or `p.init_sigma` on a constant
// schedule; 0 without an image start or without init_sigma.
double init_noise_sigma(const SamplerParams& p);

// Per-step values a schedule yields at a given step.
struct StepSettings {
  double step_lr = 100.0, noise_std = 0.001, sigma = 0.0;
  int level = 0;
  double heun_sigma = 0.0;  // > 0: a Heun step to this σ (ScheduleLevel::heun_sigma)
  // The noise level the chain is at after this step (the next step's σ; 0 after the last one or for
  // models without a noise level): what an edit's held region is noised to (SamplerParams::init_region).
  // Set by the Sampler for a chain that holds a region, not by at().
  double hold_sigma = 0.0;
};

struct SamplerParams {
  // Langevin step. Edits apply from the next step.
  std::int64_t steps = 200;  // length of a run (constant schedule)
  double step_lr = 100.0;
  double noise_std = 0.001;
  bool clamp = true;
  double clamp_lo = 0.0, clamp_hi = 1.0;
  ProjNorm proj = ProjNorm::None;
  double proj_norm = 0.0;
  SampleMode mode = SampleMode::Joint;
  StepRule step_rule = StepRule::Langevin;
  int leapfrog_steps = 3;        // StepRule::Hmc: leapfrog steps per accept test (1 … 100)
  bool trailing_noise = false;   // Sequential: the 'multi' task's extra noise at the end of each iteration
  double attention_lr = 1e5;     // comb_mask mask chain step (train.py default)
  double mask_noise = 0.01;      // comb_mask mask chain noise std
  Schedule schedule;

  // Execution on the device. Edits apply from the next step.
  // Energies and gradients are evaluated in chunks of this many samples (0: the whole batch). On
  // CUDA, cuDNN and cuBLAS pick kernels by batch shape, so results agree to float rounding across
  // batch sizes and bitwise only at the same chunk: `ebm sample --gpus N` sets ⌈batch/N⌉, and a
  // one-GPU run with that micro_batch reproduces its grid exactly. Also bounds activation memory.
  std::int64_t micro_batch = 0;
  Precision precision = Precision::Tf32;
  // CUDA: replay the Joint step (noise, energy, input gradient, update, clamp, NaN reset) from a
  // captured CUDA graph; re-captured only when the composition's structure or a structural setting
  // changes (docs/gpu.md). Ignored on the CPU, for Sequential mode and comb_mask models.
  bool cuda_graph = true;

  // Chain identity. Edits apply at the next start/restart.
  std::uint64_t seed = 0;
  std::int64_t batch = 16;
  std::int64_t sample_offset = 0;  // global index of the first sample (sample i has id offset + i)
  // Optional explicit sample ids (then exactly `batch` of them, any order): re-run chosen samples.
  std::vector<std::int64_t> sample_ids;
  InitMode init = InitMode::GreyColour;
  torch::Tensor init_image;        // [C,H,W] float in [0,1] on the CPU, for InitMode::Image
  // InitMode::Image only: start from the image noised to this σ and walk an annealed schedule from
  // there (SDEdit, Meng et al. 2022): an edit that keeps what the noise does not wash out. 0: the
  // image as it is. apply_denoising_schedule() cuts the schedule to its levels at or below σ, and the
  // noise added is the first kept level's σ (this σ itself on a constant schedule).
  double init_sigma = 0.0;
  // InitMode::Image only, optional: the edit's region, [1,H,W] float in [0,1] on the CPU (any size:
  // resized to the image). 1 = redraw, 0 = hold: after every step the held part is put back to the
  // image noised to the σ the chain is at then (the image itself after the last step), as inpainting
  // with a diffusion model does (RePaint, Lugmayr et al. 2022) — so an edit cannot move what lies
  // outside the region, nor draw anything there. Undefined: the whole image may change.
  torch::Tensor init_region;
  std::string device = "cpu";      // "cpu", "cuda", "cuda:1" …
  // Devices the batch is split over in one process, from `device` on (cuda:1 with 2: cuda:1 and
  // cuda:2), each with a copy of the models and a share of ⌈batch/devices⌉ chains
  // (sharded_sampler.h: the studio's worker). Images are those of one device at micro_batch = one
  // share. On the CPU the shares take turns: the same images, no faster (the tests use it). Not
  // part of a recipe: where a chain runs does not change what it draws.
  int devices = 1;

  std::int64_t total_steps() const;
  std::vector<std::int64_t> ids() const;  // the batch's sample ids
  StepSettings at(std::int64_t step) const;
  LangevinParams langevin(const StepSettings& s) const;
  // Throws std::invalid_argument naming the field and its allowed range.
  void validate() const;
  // True when the two differ only in fields that apply from the next step (no restart needed).
  bool same_chain(const SamplerParams& o) const;
  // These params with the chain-identity fields (the ones same_chain compares: seed, batch, sample
  // offset and ids, init and its image, device, devices) of `chain`: what a running chain started
  // with `chain` runs under after later edits.
  SamplerParams with_identity_of(const SamplerParams& chain) const;
};

// SamplerParams that passed validate(). Only check() makes one, so whoever receives it — the session's
// worker, the sharded sampler's shards — takes it without checking again: one validation per edit,
// where the edit comes in (the studio's controller, a recipe, a command line).
class CheckedSamplerParams {
 public:
  // p.validate(), then the proof; throws std::invalid_argument as validate() does.
  static CheckedSamplerParams check(SamplerParams p);
  const SamplerParams& get() const { return p_; }
  const SamplerParams* operator->() const { return &p_; }

 private:
  explicit CheckedSamplerParams(SamplerParams p) : p_(std::move(p)) {}
  friend class ShardedSampler;  // derives each shard's share (sample ids, device) of checked params
  SamplerParams p_;
};

// Limits a recipe or an edit must respect (checked before anything is allocated).
constexpr std::int64_t kMaxBatch = 4096;
constexpr std::int64_t kMaxSteps = 100000000;
constexpr int kMaxScheduleLevels = 10000;
constexpr int kMaxDevices = 64;
constexpr double kMaxInitSigma = 100.0;

torch::Device parse_device(const std::string& s);  // throws std::invalid_argument with the accepted forms

}  // namespace ebm
