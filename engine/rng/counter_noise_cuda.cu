#include "engine/rng/counter_noise_cuda.h"
#include "engine/gpu/cuda_check.h"
#include "engine/rng/hash32.h"

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace ebm::gpu {

namespace {

// The float steps of counter_rng.cpp's tensor-op draw (the hash and its constants: hash32.h).
using rng::kElementSalt;
using rng::kSecondSalt;
constexpr float kTwoPowMinus24 = 1.0f / 16777216.0f;
// float(2π) exactly as Torch rounds the double scalar of `mul_(2.0 * M_PI)` for a float tensor.
constexpr float kTwoPi = static_cast<float>(2.0 * 3.14159265358979323846);

// (h >> 8) + offset, times 2^-24, each rounded to float as the tensor ops round them. The _rn
// intrinsics keep nvcc from contracting a multiply and an add into one FMA, which rounds once.
__device__ __forceinline__ float unit_float(std::uint32_t h, float offset) {
  return __fmul_rn(__fadd_rn(static_cast<float>(h >> 8), offset), kTwoPowMinus24);
}

__global__ void counter_noise_kernel(const std::int64_t* key_dev, std::uint32_t key_host, const std::int64_t* ids,
                                     std::int64_t batch, std::int64_t n, bool normal, float* out) {
  const std::uint32_t key = key_dev ? static_cast<std::uint32_t>(*key_dev) : key_host;
  const std::int64_t total = batch * n;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t b = i / n, e = i - b * n;
    const auto id = static_cast<std::uint64_t>(ids[b]);
    std::uint32_t ks = rng::mix32(static_cast<std::uint32_t>(id) ^ key);
    ks = rng::mix32(ks ^ static_cast<std::uint32_t>(id >> 32));
    const std::uint32_t he = rng::mix32(static_cast<std::uint32_t>(e) ^ kElementSalt);
    const std::uint32_t h1 = rng::mix32(ks ^ he);
    if (!normal) {
      out[i] = unit_float(h1, 0.0f);
      continue;
    }
    const std::uint32_t h2 = rng::mix32(h1 + kSecondSalt);
    const float u1 = unit_float(h1, 0.5f), u2 = unit_float(h2, 0.0f);
    const float r = sqrtf(__fmul_rn(logf(u1), -2.0f));
    out[i] = __fmul_rn(r, cosf(__fmul_rn(u2, kTwoPi)));
  }
}

}  // namespace

void launch_counter_noise(const std::int64_t* key_dev, std::uint32_t key_host, const std::int64_t* ids,
                          std::int64_t batch, std::int64_t n, bool normal, float* out, void* stream) {
  const std::int64_t total = batch * n;
  if (total <= 0) return;
  constexpr int kThreads = 256;
  // Enough blocks to fill the GPU; the grid-stride loop covers the rest.
  const std::int64_t blocks = (total + kThreads - 1) / kThreads;
  const unsigned grid = static_cast<unsigned>(blocks < 65535 ? blocks : 65535);
  counter_noise_kernel<<<grid, kThreads, 0, static_cast<cudaStream_t>(stream)>>>(key_dev, key_host, ids, batch, n,
                                                                                normal, out);
  EBM_CUDA_CHECK_THROW(cudaGetLastError());  // the launch's own error (a bad configuration)
}

}  // namespace ebm::gpu
