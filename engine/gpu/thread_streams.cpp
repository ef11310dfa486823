#include "engine/gpu/thread_streams.h"

#ifdef EBM_HAVE_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

#include <vector>

namespace ebm::gpu {

#ifdef EBM_HAVE_CUDA

struct ThreadStreams::Impl {
  std::vector<c10::cuda::CUDAStream> previous;  // index = device
};

ThreadStreams::ThreadStreams() : impl_(std::make_unique<Impl>()) {
  const auto n = static_cast<c10::DeviceIndex>(torch::cuda::device_count());
  for (c10::DeviceIndex d = 0; d < n; ++d) {
    impl_->previous.push_back(c10::cuda::getCurrentCUDAStream(d));
    c10::cuda::setCurrentCUDAStream(c10::cuda::getStreamFromPool(/*isHighPriority=*/false, d));
  }
}

ThreadStreams::~ThreadStreams() {
  for (const auto& s : impl_->previous) c10::cuda::setCurrentCUDAStream(s);
}

void ThreadStreams::synchronize(const torch::Device& device) {
  if (!device.is_cuda()) return;
  c10::cuda::getCurrentCUDAStream(device.has_index() ? device.index() : c10::DeviceIndex{0}).synchronize();
}

#else

struct ThreadStreams::Impl {};

ThreadStreams::ThreadStreams() = default;
ThreadStreams::~ThreadStreams() = default;
void ThreadStreams::synchronize(const torch::Device&) {}

#endif

}  // namespace ebm::gpu
