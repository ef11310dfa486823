// The original's normalization helpers (spec §2.7), ported for completeness: no original model enables
// any of them, but they are part of utils.py and future models may. All take NCHW tensors; the axis
// choices below are the NHWC axes of the original translated, including its unusual ones.
#pragma once

#include <torch/torch.h>

namespace ebm {

// pixel_norm: x * rsqrt(mean(x², over H, W) + 1e-8). The original reduces NHWC axes [1,2] = H, W,
// i.e. it normalizes each channel over space, NOT the usual per-pixel norm across channels.
torch::Tensor pixel_norm(const torch::Tensor& x, double eps = 1e-8);

// group_norm: channels split into groups of `group_size` (the original's g=32 is the size of a group,
// not the number of groups); moments over (H, W, channels in the group); then * scale + bias ([C]).
torch::Tensor group_norm(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& bias,
                         int64_t group_size = 32, double eps = 1e-6);

// layer_norm: moments over (C, H, W) per sample, eps 1e-6, then * scale + bias ([C]).
torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& bias,
                         double eps = 1e-6);

// batch_norm: moments over the batch axis only (per C, H, W element), eps 0.01; scale/bias ([C])
// are applied when defined.
torch::Tensor batch_norm(const torch::Tensor& x, const torch::Tensor& scale = {}, const torch::Tensor& bias = {},
                         double eps = 0.01);

}  // namespace ebm
