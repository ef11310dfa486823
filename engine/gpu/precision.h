// Arithmetic of the energy's forward and backward on CUDA (SamplerParams::precision, `--precision`).
// A value of its own here, beside the scope that applies it (precision_scope.h), so engine/gpu needs
// nothing from the sampler. On the CPU, Tf32 is plain fp32 and Bf16 is bf16 autocast, offered only
// where the CPU has bf16 instructions (avx512_bf16 or AMX): there it halves the step (tools/reference
// CubesNet at batch 4, 2 threads: 81 → 44 ms); emulated, it would be slower than fp32.
//   Fp32  strict float32: TF32 off for cuDNN convolutions and cuBLAS matmuls
//   Tf32  TF32 tensor cores for both (10-bit mantissa products, fp32 accumulation), channels-last
//         input; the default (PyTorch's own default already runs convolutions in TF32)
//   Bf16  bf16 autocast of the networks, channels-last input (state, noise and update stay fp32)
// docs/gpu.md gives the measured effect of each on energies and samples.
#pragma once

#include <string>

namespace ebm {

enum class Precision { Fp32, Tf32, Bf16 };
std::string to_string(Precision p);
Precision precision_from_string(const std::string& s);  // "fp32" | "tf32" | "bf16"; throws std::invalid_argument

// Whether this CPU computes bf16 natively (/proc/cpuinfo flags avx512_bf16 or amx_bf16).
bool cpu_has_native_bf16();

}  // namespace ebm
