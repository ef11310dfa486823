// TextureStream: how a snapshot's tensors reach a GL texture. The views only ever see `front()`.
//
// Contract (GL thread only): `publish` converts a batch into the back buffer and then swaps, so the
// texture being drawn is never the one being written (double buffering). The host implementation
// here maps a pixel-unpack buffer, fills it with tensor ops on the CPU and lets the driver copy it to
// the texture. The CUDA-GL interop implementation (interop_texture_stream.h) fills a GL buffer
// registered with CUDA by the same atlas code on the GPU, so no pixels travel through host memory.
// `path_name()` is shown in the perf overlay.
#pragma once

#include "app/studio/gl/pixel_buffer.h"
#include "app/studio/gl/texture.h"
#include "app/studio/grid_layout.h"

#include <torch/torch.h>

#include <array>
#include <memory>
#include <string>

namespace ebm::studio::gl {

class TextureStream {
 public:
  virtual ~TextureStream() = default;
  // RGBA8 streams take images [B,C,H,W] in [0,1]; R32F streams take scalar fields [B,H,W]. The
  // tensor may live on any device. Throws std::invalid_argument when it does not match `layout`.
  virtual void publish(const torch::Tensor& batch, const GridLayout& layout) = 0;
  // The texture to draw; invalid() until the first publish.
  virtual const Texture2D& front() const = 0;
  virtual const GridLayout& layout() const = 0;
  virtual void set_filter(Filter f) = 0;
  virtual std::string path_name() const = 0;
  // Wall time of the last publish on the GL thread (the "preview cost" of the perf overlay).
  virtual double last_publish_ms() const = 0;
};

// Host upload through two PBO + texture pairs.
class HostTextureStream final : public TextureStream {
 public:
  explicit HostTextureStream(TexFormat format);
  void publish(const torch::Tensor& batch, const GridLayout& layout) override;
  const Texture2D& front() const override { return slots_[front_].texture; }
  const GridLayout& layout() const override { return layout_; }
  void set_filter(Filter f) override;
  std::string path_name() const override { return "host upload (PBO)"; }
  double last_publish_ms() const override { return last_ms_; }

 private:
  struct Slot {
    PixelBuffer pbo;
    Texture2D texture;
  };
  TexFormat format_;
  Filter filter_ = Filter::Nearest;
  std::array<Slot, 2> slots_;
  int front_ = 0;
  GridLayout layout_;
  double last_ms_ = 0.0;
};

// The best stream this build and context support: CUDA-GL interop (interop_texture_stream.h) in a
// CUDA build whose GL context is on the NVIDIA GPU, else the host stream (the reason is logged).
std::unique_ptr<TextureStream> make_texture_stream(TexFormat format);

}  // namespace ebm::studio::gl
