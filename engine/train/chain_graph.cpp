#include "engine/train/chain_graph.h"

#include "engine/rng/generator_state.h"

#include <stdexcept>

namespace ebm::train {

void ChainGraph::reset() {
  graph_.reset();
  key_.clear();
  x_ = torch::Tensor();
  labels_ = torch::Tensor();
}

torch::Tensor ChainGraph::run(const std::string& key, const torch::Tensor& x, const torch::Tensor& labels, int steps,
                              torch::Generator& gen, const StepFn& step) {
  if (!x.is_cuda()) throw std::logic_error("ChainGraph::run: the chain's state must be on a CUDA device");
  if (!graph_.captured() || key != key_) {
    reset();
    {
      torch::NoGradGuard no_grad;
      x_ = x.detach().clone();  // clone keeps x's memory format (channels_last stays channels_last)
      labels_ = labels.detach().clone();
    }
    // The warm-up runs before the capture draw noise like a chain would; the chain itself must start
    // from the generator's state as the caller left it (what an eager chain would draw first).
    const torch::Tensor before = generator_state(gen);
    try {
      graph_.capture([this, &step] { x_.copy_(step(x_, labels_)); }, static_cast<int>(x.device().index()));
    } catch (...) {
      reset();
      set_generator_state(gen, before);
      throw;
    }
    set_generator_state(gen, before);
    key_ = key;
    ++captures_;
  }
  torch::NoGradGuard no_grad;
  x_.copy_(x);
  labels_.copy_(labels);
  for (int k = 0; k < steps; ++k) graph_.replay();
  // A copy: the next chain overwrites x_, and the caller keeps the result (replay buffer, loss).
  return x_.clone();
}

}  // namespace ebm::train
