#include "models/layers/tf_ops.h"

#include <algorithm>
#include <stdexcept>

namespace ebm {

namespace F = torch::nn::functional;

torch::Tensor swish(const torch::Tensor& x) { return x * torch::sigmoid(x); }

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

}  // namespace ebm
