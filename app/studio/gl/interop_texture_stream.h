// InteropTextureStream: the CUDA-GL interop path of TextureStream. A batch on a CUDA device is tiled
// into the atlas on the GPU, straight into a GL pixel buffer registered with CUDA
// (engine/gpu/cuda_gl_buffer.h), and GL copies that buffer into the texture: no pixel travels
// through host memory. Two pixel-buffer + texture pairs alternate, so the texture being drawn is
// never the one being written; the GPU copy waits for the sampler's stream through a CUDA event,
// never a device-wide sync, and the sampler's worker never waits for the renderer. A batch on the
// CPU takes the host path (HostTextureStream). path_name() says which path the last publish took.
#pragma once

#include "app/studio/gl/texture_stream.h"
#include "engine/gpu/cuda_gl_buffer.h"

#include <array>
#include <optional>

namespace ebm::studio::gl {

class InteropTextureStream final : public TextureStream {
 public:
  // Probes registration with a small buffer on CUDA device `device`; throws std::runtime_error with
  // the reason when this GL context cannot share buffers with CUDA (not on the NVIDIA GPU).
  InteropTextureStream(TexFormat format, int device);
  void publish(const torch::Tensor& batch, const GridLayout& layout) override;
  const Texture2D& front() const override;
  const GridLayout& layout() const override { return last_host_ ? host_.layout() : layout_; }
  void set_filter(Filter f) override;
  std::string path_name() const override;
  double last_publish_ms() const override { return last_ms_; }

 private:
  struct Slot {
    PixelBuffer pbo;
    Texture2D texture;
    std::optional<gpu::CudaGlBuffer> registered;
  };
  TexFormat format_;
  Filter filter_ = Filter::Nearest;
  std::array<Slot, 2> slots_;
  int front_ = 0;
  GridLayout layout_;
  HostTextureStream host_;
  bool last_host_ = false;
  double last_ms_ = 0.0;
};

}  // namespace ebm::studio::gl
