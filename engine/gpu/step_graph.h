// StepGraph: one CUDA graph of a function of device tensors (at::cuda::CUDAGraph underneath).
// The sampler records its Langevin step once and replays it: a replay launches the whole step —
// noise, the composition's forward and input gradient, update, clamp, NaN reset — as one graph, so
// the CPU no longer issues hundreds of kernel launches per step. The CD trainer records its
// chain's Langevin step the same way (engine/train/chain_graph.h).
//
// What a captured body may do: read and write tensors that outlive the graph (inputs it copies
// into, outputs it assigns to), and nothing that syncs with the host (item(), any(), printing) or
// copies from host memory. The caller changes inputs in place between replays.
#pragma once

#include <functional>
#include <memory>

namespace ebm::gpu {

class StepGraph {
 public:
  StepGraph();
  ~StepGraph();
  StepGraph(const StepGraph&) = delete;  // owns a graph and its private memory pool
  StepGraph& operator=(const StepGraph&) = delete;

  // Whether this build can capture graphs (a CUDA build of LibTorch).
  static bool available();

  // Runs `body` `warmup` times on a side stream of CUDA device `device` (lazy cuBLAS/cuDNN/autograd
  // set-up must not happen during capture), then records one call of it. That device's current
  // stream waits for both. Throws std::runtime_error when capture fails: the capture is ended and
  // the graph stays empty (the caller runs eagerly).
  void capture(const std::function<void()>& body, int device, int warmup = 2);
  // Launches the recorded graph on its device's current stream (no host sync).
  void replay();
  bool captured() const;
  // Drops the graph and returns its memory pool to the driver (the destructor does the same).
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ebm::gpu
