#include "engine/gpu/precision_scope.h"

#include <stdexcept>

namespace ebm::gpu {

void check_precision(Precision p, const torch::Device& device) {
  // TF32 is a CUDA mode of fp32 arithmetic: on the CPU it is plain fp32. bf16 on a CPU without bf16
  // instructions would be emulated, slower than fp32.
  if (p == Precision::Bf16 && !device.is_cuda() && !cpu_has_native_bf16())
    throw std::invalid_argument("precision bf16 on the CPU needs bf16 instructions (avx512_bf16 or AMX), which this "
                                "CPU lacks; use precision fp32 (or --device cuda)");
}

PrecisionScope::PrecisionScope(Precision p, const torch::Device& device) {
  if (!device.is_cuda()) {
    if (p == Precision::Bf16) autocast_.emplace(c10::kCPU, at::kBFloat16, /*cast_cache=*/false);
    return;
  }
  active_ = true;
  auto& ctx = at::globalContext();
  cudnn_tf32_ = ctx.allowTF32CuDNN();
  matmul_tf32_ = ctx.allowTF32CuBLAS();
  const bool tf32 = p != Precision::Fp32;
  ctx.setAllowTF32CuDNN(tf32);
  ctx.setAllowTF32CuBLAS(tf32);
  if (p == Precision::Bf16) autocast_.emplace(c10::kCUDA, at::kBFloat16, /*cast_cache=*/false);
}

PrecisionScope::~PrecisionScope() {
  if (!active_) return;
  auto& ctx = at::globalContext();
  ctx.setAllowTF32CuDNN(cudnn_tf32_);
  ctx.setAllowTF32CuBLAS(matmul_tf32_);
}

}  // namespace ebm::gpu
