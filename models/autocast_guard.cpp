#include "models/autocast_guard.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <stdexcept>
#include <string>

// LibTorch 2.4 introduced the DeviceType-keyed functions and deprecated the per-device ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define EBM_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace ebm {

namespace {

void require_supported(c10::DeviceType device) {
  if (device != c10::kCUDA && device != c10::kCPU)
    throw std::invalid_argument("autocast: device type " + c10::DeviceTypeName(device) +
                                " is not supported here (CUDA or CPU)");
}

void set_enabled(c10::DeviceType device, bool on) {
#ifdef EBM_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(device, on);
#else
  if (device == c10::kCUDA) at::autocast::set_enabled(on);
  else at::autocast::set_cpu_enabled(on);
#endif
}

void set_dtype(c10::DeviceType device, c10::ScalarType dtype) {
#ifdef EBM_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(device, dtype);
#else
  if (device == c10::kCUDA) at::autocast::set_autocast_gpu_dtype(dtype);
  else at::autocast::set_autocast_cpu_dtype(dtype);
#endif
}

}  // namespace

bool autocast_enabled(c10::DeviceType device) {
  require_supported(device);
#ifdef EBM_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(device);
#else
  return device == c10::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

c10::ScalarType autocast_dtype(c10::DeviceType device) {
  require_supported(device);
#ifdef EBM_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(device);
#else
  return device == c10::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

AutocastGuard::AutocastGuard(c10::DeviceType device, c10::ScalarType dtype, bool cast_cache)
    : device_(device),
      prev_enabled_(autocast_enabled(device)),
      prev_dtype_(autocast_dtype(device)),
      prev_cache_(at::autocast::is_autocast_cache_enabled()) {
  set_dtype(device, dtype);  // first: LibTorch refuses some (1.13's CPU autocast takes only bf16)
  if (!cast_cache) at::autocast::set_autocast_cache_enabled(false);
  set_enabled(device, true);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_enabled(device_, prev_enabled_);
  set_dtype(device_, prev_dtype_);
  at::autocast::set_autocast_cache_enabled(prev_cache_);
}

}  // namespace ebm
