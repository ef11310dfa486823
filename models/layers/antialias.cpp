#include "models/layers/antialias.h"

#include "models/layers/tf_ops.h"

#include <stdexcept>

namespace ebm {

torch::Tensor binomial_kernel(int size, torch::TensorOptions opts) {
  torch::Tensor k1;
  double norm = 0;
  if (size == 3) {
    k1 = torch::tensor({1.0f, 2.0f, 1.0f}, opts.dtype(torch::kFloat));
    norm = 16.0;
  } else if (size == 5) {
    k1 = torch::tensor({1.0f, 4.0f, 6.0f, 4.0f, 1.0f}, opts.dtype(torch::kFloat));
    norm = 256.0;
  } else {
    throw std::invalid_argument("binomial blur kernel size must be 3 or 5, got " + std::to_string(size));
  }
  k1 = k1.to(opts.device());
  return (k1.unsqueeze(1) * k1.unsqueeze(0)) / norm;
}

torch::Tensor antialias_downsample(const torch::Tensor& x, int size) {
  if (x.dim() != 4) throw std::invalid_argument("antialias expects an NCHW image batch");
  const auto C = x.size(1);
  auto k = binomial_kernel(size, x.options()).to(x.dtype());
  auto w = k.expand({C, C, size, size});
  auto ph = tf_same_pad(x.size(2), size, 2);
  auto pw = tf_same_pad(x.size(3), size, 2);
  namespace F = torch::nn::functional;
  auto padded = F::pad(x, F::PadFuncOptions({pw.first, pw.second, ph.first, ph.second}));
  return F::conv2d(padded, w, F::Conv2dFuncOptions().stride(2));
}

}  // namespace ebm
