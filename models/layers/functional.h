// Stateless TF-compatible ops: the activations, 'SAME' padding and l2_normalize every layer uses,
// and the original's normalization helpers (spec §2.7).
#pragma once

#include <string>
#include <torch/torch.h>
#include <utility>

namespace ebm {

// ---- Activations, padding, l2_normalize. Kept in one place so the numeric conventions that differ
// from PyTorch defaults (leaky slope 0.2, asymmetric SAME padding) are explicit.

// tf.nn.leaky_relu's default alpha; PyTorch's default (0.01) would be a silent mismatch.
constexpr double kLeakySlope = 0.2;

enum class Act { None, Swish, LeakyRelu, Relu };

torch::Tensor swish(const torch::Tensor& x);       // x * sigmoid(x)
// 2×2 average pooling with stride 2 (the original's downsampling), fast on channels-last tensors.
torch::Tensor avg_pool_2x2(const torch::Tensor& x);
torch::Tensor lrelu(const torch::Tensor& x);  // slope kLeakySlope
torch::Tensor apply_act(Act a, const torch::Tensor& x);
std::string to_string(Act a);

// TF 'SAME' padding (before, after) along one axis of `size` for kernel k and stride s. For even
// sizes with stride 2 TF pads less before than after, which PyTorch's symmetric padding cannot express.
std::pair<int64_t, int64_t> tf_same_pad(int64_t size, int64_t k, int64_t s);

// conv2d(x, w OIHW, stride) with TF 'SAME' padding; picks symmetric padding when it is exact so the
// common case stays one fused call (the same choice as the reference, so results are bit-identical).
torch::Tensor conv2d_same(const torch::Tensor& x, const torch::Tensor& w, int64_t stride);

// tf.nn.l2_normalize over the whole tensor: v * rsqrt(max(sum(v^2), eps)).
torch::Tensor l2_normalize(const torch::Tensor& v, double eps = 1e-12);

// ---- The original's normalization helpers (spec §2.7), ported for completeness: no original model enables
// any of them, but they are part of utils.py and future models may. All take NCHW tensors; the axis
// choices below are the NHWC axes of the original translated, including its unusual ones.
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
