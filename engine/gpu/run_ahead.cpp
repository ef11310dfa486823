#include "engine/gpu/run_ahead.h"

#ifdef EBM_HAVE_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include <deque>

namespace ebm::gpu {

#ifdef EBM_HAVE_CUDA

struct RunAhead::Impl {
  // One entry per launched step: an event at its end on each of its GPUs.
  std::deque<std::vector<at::cuda::CUDAEvent>> steps;
};

void RunAhead::step_launched(const std::vector<torch::Device>& devices) {
  if (limit_ <= 0) return;
  std::vector<at::cuda::CUDAEvent> ends;
  for (const auto& d : devices) {
    if (!d.is_cuda()) continue;
    ends.emplace_back();  // cudaEventDisableTiming: recording and waiting only
    ends.back().record(c10::cuda::getCurrentCUDAStream(d.has_index() ? d.index() : c10::DeviceIndex{0}));
  }
  if (ends.empty()) return;
  impl_->steps.push_back(std::move(ends));
  while (static_cast<int>(impl_->steps.size()) > limit_) {
    for (auto& e : impl_->steps.front()) e.synchronize();
    impl_->steps.pop_front();
  }
}

#else

struct RunAhead::Impl {};

void RunAhead::step_launched(const std::vector<torch::Device>&) {}

#endif

RunAhead::RunAhead(int max_steps) : impl_(std::make_unique<Impl>()), limit_(max_steps < 0 ? 0 : max_steps) {}

RunAhead::~RunAhead() = default;

void RunAhead::set_limit(int max_steps) {
  limit_ = max_steps < 0 ? 0 : max_steps;
  clear();
}

void RunAhead::clear() {
#ifdef EBM_HAVE_CUDA
  impl_->steps.clear();
#endif
}

}  // namespace ebm::gpu
