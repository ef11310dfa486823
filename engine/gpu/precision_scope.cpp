#include "engine/gpu/precision_scope.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <stdexcept>

namespace ebm::gpu {

namespace {

// LibTorch 2 keys autocast by device type; 1.13 had separate GPU entry points.
bool autocast_enabled() {
#if TORCH_VERSION_MAJOR >= 2
  return at::autocast::is_autocast_enabled(at::kCUDA);
#else
  return at::autocast::is_enabled();
#endif
}

void set_autocast(bool on, c10::ScalarType dtype) {
#if TORCH_VERSION_MAJOR >= 2
  at::autocast::set_autocast_enabled(at::kCUDA, on);
  at::autocast::set_autocast_dtype(at::kCUDA, dtype);
#else
  at::autocast::set_enabled(on);
  at::autocast::set_autocast_gpu_dtype(dtype);
#endif
}

c10::ScalarType autocast_dtype() {
#if TORCH_VERSION_MAJOR >= 2
  return at::autocast::get_autocast_dtype(at::kCUDA);
#else
  return at::autocast::get_autocast_gpu_dtype();
#endif
}

}  // namespace

void check_precision(Precision p, const torch::Device& device) {
  // TF32 is a CUDA mode of fp32 arithmetic: on the CPU it is plain fp32. bf16 would change results.
  if (p == Precision::Bf16 && !device.is_cuda())
    throw std::invalid_argument("precision bf16 needs a CUDA device; the CPU samples in fp32 (use precision fp32 "
                                "or tf32, or --device cuda)");
}

PrecisionScope::PrecisionScope(Precision p, const torch::Device& device) {
  if (!device.is_cuda()) return;
  active_ = true;
  auto& ctx = at::globalContext();
  cudnn_tf32_ = ctx.allowTF32CuDNN();
  matmul_tf32_ = ctx.allowTF32CuBLAS();
  autocast_ = autocast_enabled();
  autocast_dtype_ = autocast_dtype();
  autocast_cache_ = at::autocast::is_autocast_cache_enabled();
  const bool tf32 = p != Precision::Fp32;
  ctx.setAllowTF32CuDNN(tf32);
  ctx.setAllowTF32CuBLAS(tf32);
  if (p == Precision::Bf16) {
    at::autocast::set_autocast_cache_enabled(false);
    set_autocast(true, at::kBFloat16);
  }
}

PrecisionScope::~PrecisionScope() {
  if (!active_) return;
  auto& ctx = at::globalContext();
  ctx.setAllowTF32CuDNN(cudnn_tf32_);
  ctx.setAllowTF32CuBLAS(matmul_tf32_);
  set_autocast(autocast_, autocast_dtype_);
  at::autocast::set_autocast_cache_enabled(autocast_cache_);
}

}  // namespace ebm::gpu
