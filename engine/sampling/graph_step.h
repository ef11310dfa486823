// The sampler's Joint step replayed from a captured CUDA graph (gpu::StepGraph underneath): the
// step's tensors — what it reads, written in place before each replay, and what it writes, cloned
// into the chain state after it — live here, at the addresses the graph was recorded with. A key
// names everything structural the capture depends on; a different key re-captures.
#pragma once

#include "engine/gpu/step_graph.h"
#include "engine/sampling/chain_state.h"
#include "engine/sampling/step_scalars.h"

#include <functional>
#include <memory>
#include <string>

namespace ebm {

class GraphStep {
 public:
  // The tensors one captured step reads (x, ids, resets, scalars) and writes (x_out, resets_out,
  // stats). Their addresses are baked into the graph.
  struct Buffers {
    torch::Tensor x, ids, resets;
    StepScalars sc;
    torch::Tensor x_out, resets_out;
    StepStats stats;
  };
  // One step from the inputs to the outputs: no host syncs (it runs inside the capture).
  using Body = std::function<void(Buffers&)>;

  GraphStep() = default;
  GraphStep(const GraphStep&) = delete;  // owns a graph and the buffers its kernels address
  GraphStep& operator=(const GraphStep&) = delete;

  static bool available() { return gpu::StepGraph::available(); }
  // Whether a graph is captured under `key`.
  bool matches(const std::string& key) const { return buffers_ && key_ == key; }
  // Captures `body` on buffers made from `state` and `sc` (a device of `state`). Throws
  // std::runtime_error when the capture fails; nothing stays captured then.
  void capture(const std::string& key, const ChainState& state, StepScalars sc, const Body& body);
  // Copies `state`'s x and resets in, lets `write` set the step's scalars, replays, and moves the
  // chain: `state` gets the outputs (cloned, so a kept state never changes at the next replay). The
  // step counter is the caller's. Requires a capture.
  StepStats replay(ChainState* state, const std::function<void(StepScalars*)>& write);
  int captures() const { return captures_; }
  // Drops the graph (call it before the models' caches the graph reads go away).
  void reset();

 private:
  gpu::StepGraph graph_;
  std::string key_;
  std::unique_ptr<Buffers> buffers_;
  int captures_ = 0;
};

}  // namespace ebm
