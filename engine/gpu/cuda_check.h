// Checks of CUDA runtime calls, in a throwing form and a logging form (tiny-cuda-nn's
// CUDA_CHECK_THROW / CUDA_CHECK_PRINT): a status is never dropped silently.
//   EBM_CUDA_CHECK_THROW(call)  throws std::runtime_error naming the call, the file and line, and
//                               CUDA's error text — for code that can report a failure;
//   EBM_CUDA_CHECK_PRINT(call)  writes the same to stderr and goes on — for destructors and other
//                               places that must not throw (a failed release is worth a line, not a crash).
// Both clear CUDA's last-error state after a failure, so the next call does not report it again.
// Plain CUDA runtime: usable from .cu files (nvcc never compiles Torch's headers) and from C++ files
// of a CUDA build. Include it only where <cuda_runtime_api.h> exists (EBM_HAVE_CUDA).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace ebm::gpu {

// "<call> failed at <file>:<line>: <CUDA's text>" — the message both forms give.
inline std::string cuda_failure(cudaError_t e, const char* call, const char* file, int line) {
  return std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " + cudaGetErrorString(e);
}

}  // namespace ebm::gpu

#define EBM_CUDA_CHECK_THROW(call)                                                                   \
  do {                                                                                               \
    const cudaError_t ebm_cuda_status_ = (call);                                                     \
    if (ebm_cuda_status_ != cudaSuccess) {                                                           \
      (void)cudaGetLastError(); /* clear the sticky state this failure set */                       \
      throw std::runtime_error(::ebm::gpu::cuda_failure(ebm_cuda_status_, #call, __FILE__, __LINE__)); \
    }                                                                                                \
  } while (0)

#define EBM_CUDA_CHECK_PRINT(call)                                                                       \
  do {                                                                                                   \
    const cudaError_t ebm_cuda_status_ = (call);                                                         \
    if (ebm_cuda_status_ != cudaSuccess) {                                                               \
      (void)cudaGetLastError(); /* clear the sticky state this failure set */                           \
      std::fprintf(stderr, "ebm: %s\n", ::ebm::gpu::cuda_failure(ebm_cuda_status_, #call, __FILE__, __LINE__).c_str()); \
    }                                                                                                    \
  } while (0)
