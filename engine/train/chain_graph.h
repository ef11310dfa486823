// ChainGraph: the CD trainer's Langevin chain on CUDA as one captured step replayed once per step
// (gpu::StepGraph underneath, the graph machinery of the sampler). A 40–60-step chain then costs
// 40–60 graph launches instead of thousands of kernel launches issued by the CPU.
//
// What the caller guarantees, since a replay reads every tensor at the address it was captured with:
//   * the step reads the network's weights in place: ClipAdam updates parameters in place, and
//     the spectral cache is rewritten into the same storage before each chain
//     (NetworkImpl::cache_spectral_weights(…, reuse_storage = true));
//   * the key names everything structural — shapes, layouts, dtypes, arithmetic modes, constants
//     baked into kernels, and the weights' addresses — so a change re-captures;
//   * the step draws its noise from the CUDA default generator of the state's device: PyTorch
//     registers that generator with every capture and advances its Philox offset at each replay
//     exactly as the eager kernels would, so the replayed chain draws the eager chain's noise.
#pragma once

#include "engine/gpu/step_graph.h"

#include <torch/torch.h>

#include <functional>
#include <string>

namespace ebm::train {

class ChainGraph {
 public:
  // One Langevin step: (state x, labels) → the next state. Runs inside the capture: no host syncs.
  using StepFn = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& labels)>;

  ChainGraph() = default;
  ChainGraph(const ChainGraph&) = delete;  // owns a graph and the input buffers its kernels address
  ChainGraph& operator=(const ChainGraph&) = delete;

  // Whether this build can capture at all (a CUDA build of LibTorch).
  static bool available() { return gpu::StepGraph::available(); }

  // `steps` steps of `step` from x (CUDA) under `labels`, `gen` being the CUDA default generator of
  // x's device. Captures first when nothing is captured or `key` differs from the captured one; the
  // capture's warm-up runs leave `gen` where it was. Returns a new tensor (x is not modified).
  // Throws std::runtime_error when the capture fails (nothing stays captured, `gen` is restored).
  torch::Tensor run(const std::string& key, const torch::Tensor& x, const torch::Tensor& labels, int steps,
                    torch::Generator& gen, const StepFn& step);

  bool captured() const { return graph_.captured(); }
  int captures() const { return captures_; }
  // Drops the graph, its memory pool and the buffers.
  void reset();

 private:
  gpu::StepGraph graph_;
  std::string key_;
  torch::Tensor x_, labels_;  // the captured step reads both and writes x_ in place
  int captures_ = 0;
};

}  // namespace ebm::train
