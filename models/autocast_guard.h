// AutocastGuard: autocast on one device type for a scope, put back as it was when the scope ends.
// It is the one place that speaks LibTorch's autocast API, which changed shape between the two
// LibTorch versions this project builds with: 1.13 has per-device free functions (is_enabled,
// set_cpu_enabled, set_autocast_gpu_dtype …), 2.4 and later take a DeviceType (is_autocast_enabled
// (kCUDA) …). The sampler's precision scope, the trainer's bf16 scope and the CPU tests of bf16
// autocast all stand on it.
#pragma once

#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

namespace ebm {

// The autocast state of `device` (CUDA or CPU) on the calling thread.
bool autocast_enabled(c10::DeviceType device);
c10::ScalarType autocast_dtype(c10::DeviceType device);

class AutocastGuard {
 public:
  // Enables autocast to `dtype` on `device` (c10::kCUDA or c10::kCPU; another throws
  // std::invalid_argument). cast_cache = false turns autocast's weight-cast cache off for the scope:
  // a CUDA graph captured inside it must record the casts (a cached copy is not recomputed at a
  // replay). When the outermost guard ends the cache is cleared: it holds casts of parameters that
  // an optimizer step makes stale.
  AutocastGuard(c10::DeviceType device, c10::ScalarType dtype, bool cast_cache = true);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;  // one enable, one restore
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  c10::DeviceType device_;
  bool prev_enabled_;
  c10::ScalarType prev_dtype_;
  bool prev_cache_;
};

}  // namespace ebm
