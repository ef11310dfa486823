#include "engine/train/batch_loader.h"

#include "engine/train/training_source.h"

#include <ATen/CPUGeneratorImpl.h>

namespace ebm::train {

BatchLoader::BatchLoader(torch::Tensor images, torch::Tensor labels, uint64_t seed, torch::Device device, int depth)
    : images_(std::move(images)), labels_(std::move(labels)), seed_(seed), device_(device), depth_(depth) {}

BatchLoader::~BatchLoader() { stop(); }

torch::Tensor BatchLoader::rows(uint64_t seed, int64_t iteration, int64_t batch, int64_t n) {
  // splitmix64 of (seed, iteration): an independent stream per iteration.
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (static_cast<uint64_t>(iteration) + 0x5851F42D4C957F2Dull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  auto gen = at::detail::createCPUGenerator(z ^ (z >> 31));
  return torch::randint(0, n, {batch}, gen, torch::kLong);
}

void BatchLoader::start(int64_t iteration, int64_t batch) {
  stop();
  std::lock_guard<std::mutex> lock(mu_);
  queue_.clear();
  stopping_ = false;
  error_ = nullptr;
  next_iteration_ = iteration;
  expected_ = iteration;
  batch_ = batch;
  running_ = true;
  thread_ = std::thread([this] { produce(); });
}

void BatchLoader::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
}

void BatchLoader::produce() {
  try {
    torch::NoGradGuard no_grad;
    for (;;) {
      int64_t it = 0, b = 0;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || static_cast<int>(queue_.size()) < depth_; });
        if (stopping_) return;
        it = next_iteration_++;
        b = batch_;
      }
      const auto idx = rows(seed_, it, b, images_.size(0));
      Ready r{it, images_.index_select(0, idx), labels_.index_select(0, idx)};
      if (device_.is_cuda()) r.images = r.images.pin_memory(), r.labels = r.labels.pin_memory();
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
        queue_.push_back(std::move(r));
      }
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::current_exception();
    cv_.notify_all();
  }
}

TrainingBatch BatchLoader::next(int64_t iteration, int64_t batch) {
  bool restart = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    restart = !running_ || batch != batch_ || iteration != expected_;
  }
  if (restart) start(iteration, batch);
  Ready r;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !queue_.empty() || error_; });
    if (error_) std::rethrow_exception(error_);
    r = std::move(queue_.front());
    queue_.pop_front();
    ++expected_;
  }
  cv_.notify_all();
  // Pinned → device without waiting for the host; the float conversion runs on the device.
  auto images = r.images.to(device_, /*non_blocking=*/true).to(torch::kFloat).div_(255.0);
  return {images, r.labels.to(device_, /*non_blocking=*/true)};
}

}  // namespace ebm::train
