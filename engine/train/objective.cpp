#include "engine/train/objective.h"

#include <stdexcept>

namespace ebm::train {

namespace {
std::string shape_of(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? "," : "") + std::to_string(t.size(i));
  return s + "]";
}
}  // namespace

void put_module(TensorMap& out, const std::string& prefix, const torch::nn::Module& m) {
  for (const auto& kv : m.named_parameters()) out[prefix + kv.key()] = kv.value().detach().cpu().contiguous();
  for (const auto& kv : m.named_buffers()) out[prefix + kv.key()] = kv.value().detach().cpu().contiguous();
}

void get_module(const TensorMap& in, const std::string& prefix, torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  auto load = [&](const std::string& name, torch::Tensor& dst) {
    auto it = in.find(prefix + name);
    if (it == in.end()) throw std::invalid_argument("checkpoint lacks '" + prefix + name + "'");
    if (it->second.sizes() != dst.sizes())
      throw std::invalid_argument("checkpoint tensor '" + prefix + name + "' has shape " + shape_of(it->second) +
                                  " but the model expects " + shape_of(dst));
    dst.copy_(it->second.to(dst.dtype()));
  };
  for (auto& kv : m.named_parameters()) load(kv.key(), kv.value());
  for (auto& kv : m.named_buffers()) load(kv.key(), kv.value());
}

std::invalid_argument init_from_mismatch(const std::string& path, const std::string& what, const std::string& have,
                                         const std::string& want, const std::string& same) {
  return std::invalid_argument("--init-from " + path + ": " + what + " is " + have + " but this run trains " + want +
                               "; start from a model of the same " + same);
}

void copy_module(const torch::nn::Module& from, torch::nn::Module& to) {
  TensorMap t;
  put_module(t, "", from);
  get_module(t, "", to);
}

torch::Tensor Objective::my_rows(const torch::Tensor& all_rows) const {
  if (world_size() == 1) return all_rows;
  const int64_t b = all_rows.size(0) / world_size();
  return all_rows.narrow(0, rank() * b, b);
}

void Objective::average_gradients(const std::vector<torch::Tensor>& params) const {
  if (world_size() == 1) return;
  std::vector<torch::Tensor> grads;
  grads.reserve(params.size());
  for (const auto& p : params) {
    auto& g = const_cast<torch::Tensor&>(p).mutable_grad();
    if (!g.defined()) g = torch::zeros_like(p);
    grads.push_back(g);
  }
  group_->average(grads);
}

}  // namespace ebm::train
