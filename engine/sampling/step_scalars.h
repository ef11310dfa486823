// The per-step values a sampling step reads — step size, noise std, σ and the counter-noise keys of
// its streams — as 0-dim tensors on the chain's device. An eager step gets fresh ones; a captured
// CUDA graph reads the same tensors at every replay, with the next step's values written into them
// first (a fill on the device: no host-to-device copy, no re-capture).
#pragma once

#include "engine/sampling/sampler_params.h"

#include <torch/torch.h>

#include <cstdint>

namespace ebm {

struct StepScalars {
  torch::Tensor step_lr, noise_std, sigma;                            // float32
  torch::Tensor noise_key, reset_key, reset_colour_key, accept_key;  // int64 counter-noise keys
  // An edit's held region (SamplerParams::init_region): its σ (float32) and noise key (int64);
  // undefined for a chain that holds nothing, which then writes two scalars fewer per step.
  torch::Tensor hold_sigma, hold_key;
};

// Allocates the scalars on `device` (the hold scalars when `holds`) and writes those of step `step`
// of the chain of `seed`.
StepScalars make_step_scalars(const torch::Device& device, std::uint64_t seed, std::int64_t step,
                              const StepSettings& set, bool holds = false);
// Overwrites them in place with the values of step `step` (the hold scalars where allocated).
void write_step_scalars(StepScalars* sc, std::uint64_t seed, std::int64_t step, const StepSettings& set);

}  // namespace ebm
