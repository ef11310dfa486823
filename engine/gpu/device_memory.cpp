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

#if defined(EBM_HAVE_CUDA)
namespace {
auto stats_of(int device) {
  return c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device));
}
}  // namespace
#endif

// Index 0 of the stat arrays is the aggregate over pool types in every LibTorch version.
std::int64_t reserved_device_bytes(int device) {
#if defined(EBM_HAVE_CUDA)
  return stats_of(device).reserved_bytes[0].current;
#else
  (void)device;
  return -1;
#endif
}

std::int64_t allocated_device_bytes(int device) {
#if defined(EBM_HAVE_CUDA)
  return stats_of(device).allocated_bytes[0].current;
#else
  (void)device;
  return -1;
#endif
}

std::int64_t peak_allocated_device_bytes(int device) {
#if defined(EBM_HAVE_CUDA)
  return stats_of(device).allocated_bytes[0].peak;
#else
  (void)device;
  return -1;
#endif
}

void reset_peak_device_bytes(int device) {
#if defined(EBM_HAVE_CUDA)
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
#else
  (void)device;
#endif
}

}  // namespace ebm::gpu
