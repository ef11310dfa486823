// Saving and restoring a torch::Generator's state under its mutex (the generator may be shared with
// kernels launched from other threads). Used where a stream of random numbers must continue exactly:
// checkpoints, preview grids drawn between training steps, a CUDA-graph capture's warm-up runs.
#pragma once

#include <torch/torch.h>

#include <mutex>

namespace ebm {

inline torch::Tensor generator_state(torch::Generator& g) {
  std::lock_guard<std::mutex> lock(g.mutex());
  return g.get_state().clone();
}

inline void set_generator_state(torch::Generator& g, const torch::Tensor& state) {
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(state);
}

}  // namespace ebm
