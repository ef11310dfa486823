#include "models/layers/spectral_norm.h"

#include "models/layers/functional.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ebm {

torch::Tensor spectral_normalize(const torch::Tensor& w, const torch::Tensor& mat, const torch::Tensor& u,
                                 const SpectralOptions& opt, torch::Tensor* u_out) {
  if (opt.iters < 1) throw std::invalid_argument("spectral norm needs at least one power iteration (spec_iter >= 1)");
  if (mat.dim() != 2 || u.dim() != 2 || u.size(0) != 1 || u.size(1) != mat.size(1))
    throw std::invalid_argument("spectral norm: u must be [1, c_out] matching the weight's output size");
  torch::Tensor uu = u, v;
  {
    // u and v are constants for autograd (TF wraps them in stop_gradient).
    torch::NoGradGuard no_grad;
    const auto m = mat.detach();
    for (int i = 0; i < opt.iters; ++i) {
      v = l2_normalize(torch::matmul(uu, m.t()));  // [1, rows]
      uu = l2_normalize(torch::matmul(v, m));      // [1, c_out]
    }
  }
  if (u_out) *u_out = uu;
  auto sigma = torch::matmul(torch::matmul(v, mat), uu.t()).reshape({});
  if (opt.lower_bound) {
    sigma = sigma + 1e-6;
    return w / sigma * torch::clamp_max(sigma, 1.0) * opt.scale;
  }
  return w / sigma * opt.scale;
}

double max_singular_value(const torch::Tensor& mat) {
  torch::NoGradGuard no_grad;
  auto m = mat.detach().to(torch::kCPU, torch::kDouble);
  // Eigenvalues of MᵀM avoid depending on an SVD entry point that moved between LibTorch versions.
  auto gram = torch::matmul(m.t(), m);
  auto eig = std::get<0>(torch::linalg_eigh(gram));
  return std::sqrt(std::max(0.0, eig.max().item<double>()));
}

void SpectralWeightImpl::init_spectral(int64_t c_out, SpectralOptions opt) {
  sn_ = opt;
  if (sn_.enabled) {
    if (sn_.iters < 1) throw std::invalid_argument("spec_iter must be >= 1 when spectral norm is on");
    u_ = register_buffer("u", torch::randn({1, c_out}));
  }
}

torch::Tensor SpectralWeightImpl::normalize(bool update_u) {
  auto w = raw_weight();
  if (!sn_.enabled) return w;
  torch::Tensor new_u;
  auto out = spectral_normalize(w, tf_matrix(w), u_, sn_, &new_u);
  if (update_u) {
    torch::NoGradGuard no_grad;
    u_.copy_(new_u);
  }
  return out;
}

torch::Tensor SpectralWeightImpl::effective_weight() {
  if (cached_.defined()) return cached_;
  return normalize(/*update_u=*/is_training());
}

void SpectralWeightImpl::cache(bool update_u, bool reuse_storage) {
  torch::NoGradGuard no_grad;
  auto w = normalize(update_u).detach();
  // Without spectral norm w is the parameter itself, which the optimizer updates in place.
  if (!reuse_storage || !sn_.enabled) {
    cached_ = w;
    return;
  }
  const bool fits = storage_.defined() && storage_.sizes() == w.sizes() && storage_.strides() == w.strides() &&
                    storage_.scalar_type() == w.scalar_type() && storage_.device() == w.device();
  if (fits)
    storage_.copy_(w);
  else
    storage_ = w;
  cached_ = storage_;
}

}  // namespace ebm
