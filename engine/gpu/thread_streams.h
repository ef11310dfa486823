// ThreadStreams: the calling thread's CUDA work on streams of its own, one per GPU, for as long as
// the object lives. The session's worker holds one, so a GUI thread that reads a published snapshot
// (an interop or host preview) on the legacy default stream does not queue behind every Langevin
// step the worker has launched since (PyTorch's pool streams do not synchronise with the legacy
// default stream). Measured on an H200 before this: the studio's preview of a batch-64 chain waited
// 150 ms per frame for the worker's queue, 6 fps (docs/gpu.md).
//
// The worker synchronises its stream when it publishes (`synchronize`), so what a snapshot holds is
// complete before another thread sees it. Without CUDA both are no-ops.
#pragma once

#include <torch/torch.h>

#include <memory>

namespace ebm::gpu {

class ThreadStreams {
 public:
  ThreadStreams();   // each CUDA device: this thread's current stream := a stream from PyTorch's pool
  ~ThreadStreams();  // the previous current streams again
  ThreadStreams(const ThreadStreams&) = delete;
  ThreadStreams& operator=(const ThreadStreams&) = delete;

  // Waits until this thread's current stream on `device` has run everything queued on it (no-op for
  // the CPU).
  static void synchronize(const torch::Device& device);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ebm::gpu
