// BatchLoader: a thread that keeps the GPU fed from a data set in host memory (a folder set too large
// for the device, memory-mapped from its cache): it gathers the next batches' rows into pinned
// memory while the GPU trains on the current one, and the trainer copies each to the device
// without waiting for the host.
//
// The batch of iteration t holds the rows drawn from a generator seeded by (seed, t) — not a shared
// stream — so batches can be prepared ahead and a run resumed at iteration t draws the batches it
// would have drawn, with no loader state in the checkpoint.
#pragma once

#include <torch/torch.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace ebm::train {

struct TrainingBatch;

class BatchLoader {
 public:
  // images uint8 [N,C,H,W] and labels float [N,L] in host memory; batches go to `device`.
  BatchLoader(torch::Tensor images, torch::Tensor labels, uint64_t seed, torch::Device device, int depth = 3);
  ~BatchLoader();  // stops and joins the thread
  BatchLoader(const BatchLoader&) = delete;  // owns a thread
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The batch of `iteration` on the device (float in [0,1]). Iterations are expected in order; another
  // one (a resume, a changed batch size) restarts the thread there. Rethrows the thread's error.
  TrainingBatch next(int64_t iteration, int64_t batch);

  // The rows of iteration t's batch (what the thread gathers; exposed for tests).
  static torch::Tensor rows(uint64_t seed, int64_t iteration, int64_t batch, int64_t n);

 private:
  struct Ready {
    int64_t iteration;
    torch::Tensor images, labels;  // pinned host memory when a GPU is the target
  };
  void start(int64_t iteration, int64_t batch);
  void stop();
  void produce();

  torch::Tensor images_, labels_;
  uint64_t seed_;
  torch::Device device_;
  int depth_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Ready> queue_;
  bool stopping_ = false, running_ = false;
  int64_t next_iteration_ = 0, batch_ = 0;  // what the thread prepares next
  int64_t expected_ = 0;                    // the iteration the next pop delivers
  std::exception_ptr error_;
};

}  // namespace ebm::train
