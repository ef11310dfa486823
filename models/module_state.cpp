#include "models/module_state.h"

#include <stdexcept>
#include <string>

namespace ebm {

namespace {

std::string shape_of(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? "," : "") + std::to_string(t.size(i));
  return s + "]";
}

void copy_dict(const torch::OrderedDict<std::string, torch::Tensor>& from,
               torch::OrderedDict<std::string, torch::Tensor>& to, const char* what) {
  if (from.size() != to.size())
    throw std::invalid_argument(std::string("copy_module_state: ") + std::to_string(from.size()) + " " + what +
                                " in the source, " + std::to_string(to.size()) + " in the copy");
  for (const auto& item : from) {
    torch::Tensor* dst = to.find(item.key());
    if (!dst) throw std::invalid_argument(std::string("copy_module_state: the copy has no ") + what + " '" + item.key() + "'");
    if (dst->sizes() != item.value().sizes())
      throw std::invalid_argument(std::string("copy_module_state: ") + what + " '" + item.key() + "' is " +
                                  shape_of(item.value()) + " in the source and " + shape_of(*dst) + " in the copy");
    dst->copy_(item.value());
  }
}

}  // namespace

void copy_module_state(const torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto to_params = to.named_parameters(/*recurse=*/true);
  copy_dict(from.named_parameters(/*recurse=*/true), to_params, "parameter");
  auto to_buffers = to.named_buffers(/*recurse=*/true);
  copy_dict(from.named_buffers(/*recurse=*/true), to_buffers, "buffer");
}

}  // namespace ebm
