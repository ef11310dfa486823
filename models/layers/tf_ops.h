// TF-compatible primitives shared by every layer: the activations the original uses, TF 'SAME'
// padding for convolutions and tf.nn.l2_normalize. Keeping them in one place makes the few numeric
// conventions that differ from PyTorch defaults (leaky slope 0.2, asymmetric SAME padding) explicit.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>

namespace ebm {

// tf.nn.leaky_relu's default alpha; PyTorch's default (0.01) would be a silent mismatch.
constexpr double kLeakySlope = 0.2;

enum class Act { None, Swish, LeakyRelu, Relu };

torch::Tensor swish(const torch::Tensor& x);       // x * sigmoid(x)
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

}  // namespace ebm
