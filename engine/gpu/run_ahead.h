// RunAhead: bounds how many steps a thread may have queued on its GPUs beyond what they finished.
// A Langevin step launched from a CUDA graph costs the host microseconds and the GPU milliseconds,
// so a worker that never waits queues dozens of steps ahead. Everything queued later on the GPU —
// a reader's preview copy or conversion, an edit's first step — then waits behind them (measured on
// an H200: previews of a batch-64 chain waited ~95–127 ms, docs/gpu.md). With a bound of a couple of
// steps the GPU stays busy (the next steps are already queued) while that wait shrinks to the steps
// in flight. Without CUDA it does nothing.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

namespace ebm::gpu {

class RunAhead {
 public:
  explicit RunAhead(int max_steps = 2);  // 0: no bound
  ~RunAhead();
  RunAhead(const RunAhead&) = delete;
  RunAhead& operator=(const RunAhead&) = delete;

  void set_limit(int max_steps);
  int limit() const { return limit_; }
  // Call after launching a step whose work is on these devices (the calling thread's current
  // streams): records where the step ends on each, and waits (host) for the oldest recorded step to
  // finish when more than the limit are unfinished. CPU devices are ignored.
  void step_launched(const std::vector<torch::Device>& devices);
  // Forgets every recorded step (a new chain).
  void clear();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int limit_;
};

}  // namespace ebm::gpu
