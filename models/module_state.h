// copy_module_state: gives a freshly built module the parameter and buffer values of another of the
// same structure (what a per-device copy of a model needs: the sampler's chains split over several
// GPUs each evaluate their own copy). Names and shapes must match one to one.
#pragma once

#include <torch/torch.h>

namespace ebm {

// Copies every named parameter and buffer of `from` into the tensor of the same name in `to`
// (across devices and dtypes as copy_ does). Throws std::invalid_argument naming the first tensor
// that is missing on either side or has another shape: the two were not built from one config.
void copy_module_state(const torch::nn::Module& from, torch::nn::Module& to);

// Runs `build` without consuming the process's CPU random stream: building a network draws its
// initial weights from it, and a copy that is overwritten at once must not shift the numbers a
// trainer or test draws next.
template <typename F>
auto without_touching_cpu_rng(F&& build) {
  auto gen = at::detail::getDefaultCPUGenerator();
  torch::Tensor saved;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    saved = gen.get_state().clone();
  }
  auto out = build();
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(saved);
  }
  return out;
}

}  // namespace ebm
