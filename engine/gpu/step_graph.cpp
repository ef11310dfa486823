#include "engine/gpu/step_graph.h"

#include "engine/gpu/device_memory.h"

#include <stdexcept>

#ifdef EBM_HAVE_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#endif

namespace ebm::gpu {

#ifdef EBM_HAVE_CUDA

struct StepGraph::Impl {
  std::unique_ptr<at::cuda::CUDAGraph> graph;
  int device = 0;
};

bool StepGraph::available() { return true; }

void StepGraph::capture(const std::function<void()>& body, int device, int warmup) {
  reset();
  // Streams belong to a device: without this guard a chain on cuda:1 would be captured on cuda:0's
  // stream, which sees none of its kernels (an empty graph).
  c10::cuda::CUDAGuard device_guard(static_cast<c10::DeviceIndex>(device));
  auto graph = std::make_unique<at::cuda::CUDAGraph>();
  // Capture needs a stream other than the legacy default one; the work before it (inputs written
  // on the current stream) must be visible, and the current stream must see what the side stream did.
  c10::cuda::CUDAStream current = c10::cuda::getCurrentCUDAStream();
  c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool();
  {
    c10::cuda::CUDAStreamGuard guard(side);
    at::cuda::CUDAEvent ready;
    ready.record(current);
    ready.block(side);
    for (int i = 0; i < warmup; ++i) body();
    try {
      graph->capture_begin();
      body();
      graph->capture_end();
    } catch (const std::exception& e) {
      // End the capture (it may have been invalidated, e.g. by an out-of-memory inside it): a stream
      // left capturing would make every later CUDA call of the process fail.
      cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
      if (cudaStreamIsCapturing(side.stream(), &status) == cudaSuccess && status != cudaStreamCaptureStatusNone) {
        try {
          graph->capture_end();
        } catch (const std::exception&) {
        }
      }
      // Clears the error the failed capture left behind, so the next CUDA call does not report it
      // again; its cause travels in the exception below (not a status dropped: it is the one reported).
      (void)cudaGetLastError();
      throw std::runtime_error(std::string("CUDA graph capture failed: ") + e.what());
    }
    at::cuda::CUDAEvent done;
    done.record(side);
    done.block(current);
  }
  impl_->graph = std::move(graph);
  impl_->device = device;
}

void StepGraph::replay() {
  if (!impl_->graph) throw std::logic_error("StepGraph::replay: nothing captured");
  c10::cuda::CUDAGuard device_guard(static_cast<c10::DeviceIndex>(impl_->device));
  impl_->graph->replay();
}

bool StepGraph::captured() const { return impl_->graph != nullptr; }

void StepGraph::reset() {
  if (!impl_->graph) return;
  impl_->graph.reset();
  // The graph's private pool stays reserved by the caching allocator after the graph is gone
  // (device_memory.h): hand it back, or every re-capture keeps another pool's worth.
  free_cached_device_memory();
}

#else  // a CPU build: nothing to capture

struct StepGraph::Impl {};

bool StepGraph::available() { return false; }

void StepGraph::capture(const std::function<void()>&, int, int) {
  throw std::runtime_error("CUDA graphs need a CUDA build of ebm-studio (see README, 'GPU build')");
}

void StepGraph::replay() { throw std::logic_error("StepGraph::replay: nothing captured"); }

bool StepGraph::captured() const { return false; }

void StepGraph::reset() {}

#endif

StepGraph::StepGraph() : impl_(std::make_unique<Impl>()) {}
StepGraph::~StepGraph() {
  if (impl_) reset();
}

}  // namespace ebm::gpu
