// Mixed precision and memory layout for training on the GPU. Both are opt-in (`--bf16`,
// `--channels-last`): they change numerics, so an A/B run should say which it used.
#pragma once

#include "models/autocast_guard.h"

#include <torch/torch.h>

#include <optional>

namespace ebm::train {

// RAII: CUDA autocast to bfloat16 for the scope (convolutions and matmuls in bf16, reductions and
// the loss in fp32). A no-op when `enabled` is false or the device is not CUDA. The destructor
// clears autocast's cast cache: it caches bf16 copies of parameters, which go stale after an
// optimizer step. Not copyable: one scope, one enable/disable pair.
// cast_cache = false turns that cache off for the scope: a CUDA graph captured inside it must record
// the casts themselves (a cached copy is not recomputed at a replay, and is freed when the scope ends).
class AutocastScope {
 public:
  AutocastScope(bool enabled, const torch::Device& device, bool cast_cache = true);
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  std::optional<AutocastGuard> guard_;  // empty when the scope changes nothing
};

// Converts every 4-D parameter and buffer of `m` to channels_last memory format in place (values and
// logical shapes unchanged; cuDNN picks NHWC kernels, faster with bf16 on tensor cores).
void to_channels_last(torch::nn::Module& m);

}  // namespace ebm::train
