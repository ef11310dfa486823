#include "models/layers/functional.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ebm {

namespace F = torch::nn::functional;

// One fused kernel forward and one backward, where x * sigmoid(x) takes two and three (and keeps
// sigmoid(x) alive for the backward); the same function to within float rounding.
torch::Tensor swish(const torch::Tensor& x) { return torch::silu(x); }

torch::Tensor avg_pool_2x2(const torch::Tensor& x) {
  const bool even = x.dim() == 4 && x.size(2) % 2 == 0 && x.size(3) % 2 == 0;
  if (even && x.size(1) > 1 && x.is_contiguous(at::MemoryFormat::ChannelsLast)) {
    // Channels-last: the mean over 2×2 blocks of the NHWC view (a plain reduction and, backward, a
    // broadcast), channels-last out. ATen's channels-last avg_pool2d backward is slow: on an H200,
    // bf16 [64, 64, 64, 64], forward + backward took 405 µs that way and 85 µs this way, equal to
    // the last bit (its forward also sums four and divides by four).
    const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    return x.permute({0, 2, 3, 1}).reshape({b, h / 2, 2, w / 2, 2, c}).mean({2, 4}).permute({0, 3, 1, 2});
  }
  return F::avg_pool2d(x, F::AvgPool2dFuncOptions(2).stride(2));
}

torch::Tensor lrelu(const torch::Tensor& x) {
  return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(kLeakySlope));
}

torch::Tensor apply_act(Act a, const torch::Tensor& x) {
  switch (a) {
    case Act::None: return x;
    case Act::Swish: return swish(x);
    case Act::LeakyRelu: return lrelu(x);
    case Act::Relu: return torch::relu(x);
  }
  throw std::logic_error("apply_act: unknown activation");
}

std::string to_string(Act a) {
  switch (a) {
    case Act::None: return "none";
    case Act::Swish: return "swish";
    case Act::LeakyRelu: return "leaky_relu(0.2)";
    case Act::Relu: return "relu";
  }
  return "unknown";
}

std::pair<int64_t, int64_t> tf_same_pad(int64_t size, int64_t k, int64_t s) {
  const int64_t out = (size + s - 1) / s;
  const int64_t total = std::max<int64_t>((out - 1) * s + k - size, 0);
  return {total / 2, total - total / 2};
}

torch::Tensor conv2d_same(const torch::Tensor& x, const torch::Tensor& w, int64_t stride) {
  const int64_t k = w.size(2);
  if (w.size(3) != k) throw std::invalid_argument("conv2d_same: only square kernels are supported");
  if (stride == 1 && k % 2 == 1)
    return F::conv2d(x, w, F::Conv2dFuncOptions().padding(k / 2));
  const auto ph = tf_same_pad(x.size(2), k, stride);
  const auto pw = tf_same_pad(x.size(3), k, stride);
  if (ph.first == ph.second && pw.first == pw.second)
    return F::conv2d(x, w, F::Conv2dFuncOptions().stride(stride).padding({ph.first, pw.first}));
  auto padded = F::pad(x, F::PadFuncOptions({pw.first, pw.second, ph.first, ph.second}));
  return F::conv2d(padded, w, F::Conv2dFuncOptions().stride(stride));
}

torch::Tensor l2_normalize(const torch::Tensor& v, double eps) {
  return v * torch::rsqrt(torch::clamp_min((v * v).sum(), eps));
}

namespace {
void require_nchw(const torch::Tensor& x, const char* who) {
  if (x.dim() != 4) throw std::invalid_argument(std::string(who) + " expects an NCHW tensor");
}

torch::Tensor per_channel(const torch::Tensor& t, int64_t c, const char* who, const char* what) {
  if (!t.defined() || t.numel() != c)
    throw std::invalid_argument(std::string(who) + ": " + what + " must have one value per channel (" +
                                std::to_string(c) + ")");
  return t.reshape({1, c, 1, 1});
}

// tf.nn.moments: population variance.
torch::Tensor standardize(const torch::Tensor& x, at::IntArrayRef dims, double eps) {
  auto mean = x.mean(dims, /*keepdim=*/true);
  auto var = (x - mean).pow(2).mean(dims, /*keepdim=*/true);
  return (x - mean) * torch::rsqrt(var + eps);
}
}  // namespace

torch::Tensor pixel_norm(const torch::Tensor& x, double eps) {
  require_nchw(x, "pixel_norm");
  return x * torch::rsqrt(x.pow(2).mean({2, 3}, /*keepdim=*/true) + eps);
}

torch::Tensor group_norm(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& bias,
                         int64_t group_size, double eps) {
  require_nchw(x, "group_norm");
  const auto B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  if (group_size < 1 || C % group_size != 0)
    throw std::invalid_argument("group_norm: channels (" + std::to_string(C) + ") must be a multiple of the group size (" +
                                std::to_string(group_size) + ")");
  auto g = x.reshape({B, C / group_size, group_size, H, W});
  auto y = standardize(g, {2, 3, 4}, eps).reshape({B, C, H, W});
  return y * per_channel(scale, C, "group_norm", "scale") + per_channel(bias, C, "group_norm", "bias");
}

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& bias, double eps) {
  require_nchw(x, "layer_norm");
  const auto C = x.size(1);
  auto y = standardize(x, {1, 2, 3}, eps);
  return y * per_channel(scale, C, "layer_norm", "scale") + per_channel(bias, C, "layer_norm", "bias");
}

torch::Tensor batch_norm(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& bias, double eps) {
  require_nchw(x, "batch_norm");
  const auto C = x.size(1);
  auto y = standardize(x, {0}, eps);
  if (scale.defined()) y = y * per_channel(scale, C, "batch_norm", "scale");
  if (bias.defined()) y = y + per_channel(bias, C, "batch_norm", "bias");
  return y;
}

}  // namespace ebm
