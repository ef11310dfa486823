// CudaGlBuffer: a GL buffer object registered with CUDA (CUDA-GL interop), so a GPU tensor can be
// written straight into memory that GL then uploads to a texture — the studio's preview of a chain
// sampling on CUDA never travels through host memory.
//
// Threading and ordering: create, fill and destroy on the thread whose GL context owns the buffer.
// fill() waits (on the GPU, through a CUDA event) for the work already queued on the current stream
// of the data's device, writes on a side stream, and unmaps on that stream; GL commands issued after
// fill() returns see the bytes (the unmap is ordered before them by the driver). The current
// stream's later work waits (on the GPU) for the write, unless the caller says the data it reads is
// its own copy (SourceAfterFill::Kept). Nothing here blocks the calling thread.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ebm::gpu {

// What the producer's later work may do to the tensors a fill reads.
enum class SourceAfterFill {
  // It may overwrite them in place (a captured graph's chain state): the producer's stream waits (on
  // the GPU) for the copy before its next work.
  MayChangeInPlace,
  // They are the caller's own copy (a snapshot nothing writes again): the producer goes on at once.
  // The write still keeps their memory from reuse until it has read them.
  Kept,
};

class CudaGlBuffer {
 public:
  // Whether this build has CUDA-GL interop (a CUDA build with GL headers).
  static bool available();

  // Registers GL buffer object `gl_buffer` (created with glBufferData, `bytes` long) for CUDA writes
  // on CUDA device `device`. Throws std::runtime_error naming the CUDA error when the GL context is
  // not on an NVIDIA GPU (Mesa, WSL, a remote display) or the build has no interop.
  CudaGlBuffer(unsigned int gl_buffer, std::size_t bytes, int device);
  ~CudaGlBuffer();
  CudaGlBuffer(const CudaGlBuffer&) = delete;  // one registration, one owner
  CudaGlBuffer& operator=(const CudaGlBuffer&) = delete;
  CudaGlBuffer(CudaGlBuffer&& o) noexcept;
  CudaGlBuffer& operator=(CudaGlBuffer&& o) noexcept;

  // Maps the buffer, calls `writer` with a contiguous uint8 CUDA tensor [bytes] viewing it (valid
  // only inside the call), and unmaps — also when `writer` throws. `reads` names the CUDA tensors
  // the writer's kernels read: fill() returns before those kernels have run, so their memory is
  // kept from reuse until they have (the caller may drop them at once).
  void fill(const std::vector<torch::Tensor>& reads, const std::function<void(torch::Tensor& bytes)>& writer,
            SourceAfterFill after = SourceAfterFill::MayChangeInPlace);

  std::size_t size() const { return bytes_; }
  unsigned int gl_buffer() const { return gl_buffer_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  unsigned int gl_buffer_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace ebm::gpu
