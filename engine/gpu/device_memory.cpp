#include "engine/gpu/device_memory.h"

#if defined(EBM_HAVE_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace ebm::gpu {

void free_cached_device_memory() {
#if defined(EBM_HAVE_CUDA)
  c10::cuda::CUDACachingAllocator::emptyCache();
#endif
}

namespace {
// One figure of the allocator's statistics for `device`, or -1 in a build without CUDA. `pick`
// reads it from c10's DeviceStats; index 0 of its stat arrays is the aggregate over pool types in
// every LibTorch version.
template <class Pick>
std::int64_t device_stat(int device, Pick pick) {
#if defined(EBM_HAVE_CUDA)
  return pick(c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device)));
#else
  (void)device;
  (void)pick;
  return -1;
#endif
}
}  // namespace

std::int64_t reserved_device_bytes(int device) {
  return device_stat(device, [](const auto& s) -> std::int64_t { return s.reserved_bytes[0].current; });
}

std::int64_t allocated_device_bytes(int device) {
  return device_stat(device, [](const auto& s) -> std::int64_t { return s.allocated_bytes[0].current; });
}

std::int64_t peak_allocated_device_bytes(int device) {
  return device_stat(device, [](const auto& s) -> std::int64_t { return s.allocated_bytes[0].peak; });
}

void reset_peak_device_bytes(int device) {
#if defined(EBM_HAVE_CUDA)
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
#else
  (void)device;
#endif
}

}  // namespace ebm::gpu
