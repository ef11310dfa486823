// PrecisionScope: the arithmetic of a sampling step on CUDA (Precision, precision.h) for as long
// as the scope lives — TF32 switches of cuDNN and cuBLAS and bf16 autocast — restoring the previous
// settings when it ends. On the CPU only Bf16 does something: bf16 autocast (where the CPU has it).
//
// Autocast's weight cache stays off: a captured graph must not keep casts in a cache that is
// emptied after the capture (the casts are cheap next to the convolutions, and inside the graph).
#pragma once

#include "engine/gpu/precision.h"
#include "models/autocast_guard.h"

#include <torch/torch.h>

#include <optional>

namespace ebm::gpu {

class PrecisionScope {
 public:
  PrecisionScope(Precision p, const torch::Device& device);
  ~PrecisionScope();
  PrecisionScope(const PrecisionScope&) = delete;
  PrecisionScope& operator=(const PrecisionScope&) = delete;

 private:
  bool active_ = false;
  bool cudnn_tf32_ = false, matmul_tf32_ = false;
  std::optional<AutocastGuard> autocast_;  // bf16 only
};

// Throws std::invalid_argument when `p` cannot run on `device` (bf16 needs CUDA; tf32 on the CPU is fp32).
void check_precision(Precision p, const torch::Device& device);

}  // namespace ebm::gpu
