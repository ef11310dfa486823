// One CUDA kernel for the counter-based noise of counter_rng.h: the same integer hashes and the same
// float32 operations, in the same order, as the tensor-op version — which on CUDA takes about 30
// kernels over int64 tensors per draw (the Langevin noise of every step, and the fresh images of
// the NaN reset that a captured step computes every step). Plain CUDA, no Torch headers: nvcc
// never compiles Torch, and counter_rng.cpp hands it raw pointers and the current stream.
#pragma once

#include <cstdint>

namespace ebm::gpu {

// out[b·n + e] (float32, [batch, n] contiguous) for sample ids[b] and element e: uniform [0,1) or
// standard normal (Box–Muller). The key is *key_dev (a 0-dim int64 tensor's data, read on the GPU so
// a captured graph draws each replay's key) when key_dev is not null, else key_host. stream: the
// cudaStream_t to launch on. Throws std::runtime_error with CUDA's reason on a launch failure.
void launch_counter_noise(const std::int64_t* key_dev, std::uint32_t key_host, const std::int64_t* ids,
                          std::int64_t batch, std::int64_t n, bool normal, float* out, void* stream);

}  // namespace ebm::gpu
