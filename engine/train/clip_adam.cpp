#include "engine/train/clip_adam.h"

#include <cmath>
#include <stdexcept>

namespace ebm::train {

ClipAdam::ClipAdam(std::vector<torch::Tensor> params, ClipAdamOptions opt) : params_(std::move(params)), opt_(opt) {
  if (params_.empty()) throw std::invalid_argument("ClipAdam: no parameters to optimize");
  if (!(opt_.lr > 0) || opt_.beta1 < 0 || opt_.beta1 >= 1 || opt_.beta2 <= 0 || opt_.beta2 >= 1 || !(opt_.eps > 0))
    throw std::invalid_argument("ClipAdam: need lr > 0, 0 <= beta1 < 1, 0 < beta2 < 1, eps > 0");
  const auto dev = params_.front().device();
  for (const auto& p : params_) {
    if (p.device() != dev) throw std::invalid_argument("ClipAdam: all parameters must be on one device");
    if (p.scalar_type() != torch::kFloat) throw std::invalid_argument("ClipAdam: parameters must be float32");
    numel_ += p.numel();
  }
  auto o = torch::TensorOptions().dtype(torch::kFloat).device(dev);
  m_ = torch::zeros({numel_}, o);
  v_ = torch::zeros({numel_}, o);
}

torch::Tensor ClipAdam::flat_grad() const {
  std::vector<torch::Tensor> gs;
  gs.reserve(params_.size());
  for (const auto& p : params_) {
    const auto& g = p.grad();
    gs.push_back(g.defined() ? g.reshape({-1}) : torch::zeros({p.numel()}, p.options()));
  }
  return torch::cat(gs);
}

void ClipAdam::step(double lr_scale) {
  torch::NoGradGuard no_grad;
  ++t_;
  const double b2t = std::pow(opt_.beta2, static_cast<double>(t_));
  const double b1t = std::pow(opt_.beta1, static_cast<double>(t_));
  auto g = flat_grad();
  if (opt_.clip == GradClip::PerElementStd) {
    auto bound = (v_ / (1.0 - b2t)).sqrt_().mul_(3.0).add_(0.1);  // from the previous v
    g = torch::maximum(torch::minimum(g, bound), -bound);
  } else if (opt_.clip == GradClip::GlobalNorm) {
    g = g * (opt_.max_norm / (g.norm() + 1e-12)).clamp_max(1.0);
  }
  m_.mul_(opt_.beta1).add_(g, 1.0 - opt_.beta1);
  v_.mul_(opt_.beta2).addcmul_(g, g, 1.0 - opt_.beta2);
  const double lr_t = opt_.lr * lr_scale * std::sqrt(1.0 - b2t) / (1.0 - b1t);
  auto update = m_ / (v_.sqrt() + opt_.eps) * (-lr_t);
  int64_t off = 0;
  for (auto& p : params_) {
    p.add_(update.narrow(0, off, p.numel()).view_as(p));
    off += p.numel();
  }
}

void ClipAdam::zero_grad() {
  for (auto& p : params_) {
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();  // set_to_none: no memset kernels
  }
}

std::map<std::string, torch::Tensor> ClipAdam::state() const {
  return {{"m", m_.cpu().clone()}, {"v", v_.cpu().clone()}, {"t", torch::tensor({t_}, torch::kLong)}};
}

void ClipAdam::load_state(const std::map<std::string, torch::Tensor>& s) {
  auto get = [&](const char* k) {
    auto it = s.find(k);
    if (it == s.end()) throw std::invalid_argument(std::string("optimizer state lacks '") + k + "'");
    return it->second;
  };
  auto m = get("m"), v = get("v"), t = get("t");
  if (m.numel() != numel_ || v.numel() != numel_)
    throw std::invalid_argument("optimizer state holds " + std::to_string(m.numel()) + " values but the model has " +
                                std::to_string(numel_) + " parameters: was it saved for another model?");
  if (t.numel() != 1) throw std::invalid_argument("optimizer state 't' must be one integer");
  m_.copy_(m.reshape({-1}).to(torch::kFloat));
  v_.copy_(v.reshape({-1}).to(torch::kFloat));
  t_ = t.to(torch::kLong).item<int64_t>();
}

}  // namespace ebm::train
