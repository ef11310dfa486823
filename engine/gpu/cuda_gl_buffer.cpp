#include "engine/gpu/cuda_gl_buffer.h"

#include <exception>
#include <stdexcept>

#if defined(EBM_HAVE_CUDA) && defined(EBM_HAVE_GL_INTEROP)
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
// cuda_gl_interop.h needs the GL types first.
#include <GL/gl.h>
#include <cuda_gl_interop.h>
#include <cuda_runtime_api.h>

#include "engine/gpu/cuda_check.h"
#define EBM_INTEROP 1
#endif

namespace ebm::gpu {

#ifdef EBM_INTEROP

namespace {
// What a failed interop call almost always means, added to its message.
[[noreturn]] void rethrow_interop(const std::runtime_error& e) {
  throw std::runtime_error(std::string(e.what()) + " (CUDA-GL interop needs the GL context on the NVIDIA GPU)");
}
}  // namespace

struct CudaGlBuffer::Impl {
  cudaGraphicsResource_t resource = nullptr;
  int device = 0;
};

bool CudaGlBuffer::available() { return true; }

CudaGlBuffer::CudaGlBuffer(unsigned int gl_buffer, std::size_t bytes, int device)
    : impl_(std::make_unique<Impl>()), gl_buffer_(gl_buffer), bytes_(bytes) {
  c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device));
  impl_->device = device;
  // WriteDiscard: CUDA overwrites the whole buffer, so GL's old contents need not be kept.
  try {
    EBM_CUDA_CHECK_THROW(
        cudaGraphicsGLRegisterBuffer(&impl_->resource, gl_buffer, cudaGraphicsRegisterFlagsWriteDiscard));
  } catch (const std::runtime_error& e) {
    impl_->resource = nullptr;
    rethrow_interop(e);
  }
}

CudaGlBuffer::~CudaGlBuffer() {
  if (impl_ && impl_->resource) {
    c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(impl_->device));
    EBM_CUDA_CHECK_PRINT(cudaGraphicsUnregisterResource(impl_->resource));  // a destructor: say it, go on
  }
}

namespace {

// Maps `resource` on `side`, hands `writer` a uint8 tensor over its `bytes`, unmaps on `side` (also
// when `writer` throws). The unmap orders the writer's kernels before any GL command issued later.
void write_mapped(cudaGraphicsResource_t* resource, std::size_t bytes, int device, c10::cuda::CUDAStream side,
                  const std::function<void(torch::Tensor&)>& writer) {
  c10::cuda::CUDAStreamGuard stream_guard(side);
  try {
    EBM_CUDA_CHECK_THROW(cudaGraphicsMapResources(1, resource, side.stream()));
  } catch (const std::runtime_error& e) {
    rethrow_interop(e);
  }
  struct Unmap {
    cudaGraphicsResource_t* r;
    cudaStream_t s;
    ~Unmap() { EBM_CUDA_CHECK_PRINT(cudaGraphicsUnmapResources(1, r, s)); }
  } unmap{resource, side.stream()};
  void* ptr = nullptr;
  std::size_t mapped = 0;
  try {
    EBM_CUDA_CHECK_THROW(cudaGraphicsResourceGetMappedPointer(&ptr, &mapped, *resource));
  } catch (const std::runtime_error& e) {
    rethrow_interop(e);
  }
  if (mapped < bytes) throw std::runtime_error("CudaGlBuffer: the GL buffer is smaller than registered");
  torch::Tensor view = torch::from_blob(
      ptr, {static_cast<std::int64_t>(bytes)},
      torch::TensorOptions().dtype(torch::kUInt8).device(torch::kCUDA, static_cast<c10::DeviceIndex>(device)));
  writer(view);
}

}  // namespace

void CudaGlBuffer::fill(const std::vector<torch::Tensor>& reads, const std::function<void(torch::Tensor&)>& writer,
                        SourceAfterFill after) {
  if (!impl_ || !impl_->resource) throw std::logic_error("CudaGlBuffer::fill on an empty buffer");
  c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(impl_->device));
  // The data comes from the device's current stream; the copy runs on a side stream that waits for
  // it through an event. From the high-priority pool: the session worker's streams come from the
  // other one, so this never is one of them, and a preview goes first.
  c10::cuda::CUDAStream producer = c10::cuda::getCurrentCUDAStream();
  c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool(/*isHighPriority=*/true);
  at::cuda::CUDAEvent ready;
  ready.record(producer);
  ready.block(side);
  std::exception_ptr failed;
  try {
    write_mapped(&impl_->resource, bytes_, impl_->device, side, writer);
  } catch (...) {
    failed = std::current_exception();  // what was queued before the throw is ordered below all the same
  }
  // No host wait (it drained the GPU's queue at every snapshot: 5.8 % of a batch-64 chain's
  // throughput at one snapshot per 4 steps on an H200). Instead, two GPU-side orderings:
  // - the caching allocator keeps the memory of what the writer reads until the side stream is past
  //   it, so a snapshot the caller drops right away is not reused under the copy;
  // - the producer's later work waits for the copy, so a buffer it overwrites in place (a captured
  //   graph's chain state) is read before it changes. The wait is the copy's own few microseconds —
  //   and the map's and unmap's, whatever the driver orders with them: with the map and unmap alone
  //   (nothing written) 4.1 % of a batch-64 chain at one preview per 4 steps on an H100. A caller
  //   whose source is its own copy skips it (SourceAfterFill::Kept).
  for (const torch::Tensor& t : reads)
    if (t.defined() && t.is_cuda() && t.device().index() == impl_->device) t.record_stream(side);
  if (after == SourceAfterFill::MayChangeInPlace) {
    at::cuda::CUDAEvent done;
    done.record(side);
    done.block(producer);
  }
  if (failed) std::rethrow_exception(failed);
}

#else  // no interop in this build: the studio uses its host upload

struct CudaGlBuffer::Impl {};

bool CudaGlBuffer::available() { return false; }

CudaGlBuffer::CudaGlBuffer(unsigned int gl_buffer, std::size_t bytes, int)
    : impl_(std::make_unique<Impl>()), gl_buffer_(gl_buffer), bytes_(bytes) {
  throw std::runtime_error("this build has no CUDA-GL interop (a CPU build, or CUDA without GL headers)");
}

CudaGlBuffer::~CudaGlBuffer() = default;

void CudaGlBuffer::fill(const std::vector<torch::Tensor>&, const std::function<void(torch::Tensor&)>&, SourceAfterFill) {
  throw std::logic_error("CudaGlBuffer::fill: no CUDA-GL interop in this build");
}

#endif

CudaGlBuffer::CudaGlBuffer(CudaGlBuffer&& o) noexcept
    : impl_(std::move(o.impl_)), gl_buffer_(o.gl_buffer_), bytes_(o.bytes_) {
  o.gl_buffer_ = 0;
  o.bytes_ = 0;
}

CudaGlBuffer& CudaGlBuffer::operator=(CudaGlBuffer&& o) noexcept {
  if (this != &o) {
    CudaGlBuffer old(std::move(*this));  // releases our registration at the end of the scope
    impl_ = std::move(o.impl_);
    gl_buffer_ = o.gl_buffer_;
    bytes_ = o.bytes_;
    o.gl_buffer_ = 0;
    o.bytes_ = 0;
  }
  return *this;
}

}  // namespace ebm::gpu
