// The 32-bit mixer and constants of the counter-based noise (counter_rng.h), in one place for the
// host code, the tensor-op draw and the CUDA kernel: they are the determinism contract — a change
// here changes every sample of every seed. Plain C++ (no Torch), callable from CUDA device code.
#pragma once

#include <cstdint>

#ifdef __CUDACC__
#define EBM_HOST_DEVICE __host__ __device__
#else
#define EBM_HOST_DEVICE
#endif

namespace ebm::rng {

// The two odd multipliers of the lowbias32 mixer (bias ~0.17, Chris Wellons' hash-prospector).
constexpr std::uint32_t kMulA = 0x7feb352dU;
constexpr std::uint32_t kMulB = 0x846ca68bU;
// Decorrelates the element-index hash from the per-sample key (any odd constant works).
constexpr std::uint32_t kElementSalt = 0x5bd1e995U;
// Second uniform of Box–Muller: the first one's hash, offset by the golden-ratio constant.
constexpr std::uint32_t kSecondSalt = 0x9e3779b9U;

EBM_HOST_DEVICE inline std::uint32_t mix32(std::uint32_t x) {
  x ^= x >> 16;
  x *= kMulA;
  x ^= x >> 15;
  x *= kMulB;
  x ^= x >> 16;
  return x;
}

}  // namespace ebm::rng
