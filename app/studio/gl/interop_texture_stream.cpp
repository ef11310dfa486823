#include "app/studio/gl/interop_texture_stream.h"

#include "engine/gpu/atlas.h"

#include <chrono>

namespace ebm::studio::gl {

InteropTextureStream::InteropTextureStream(TexFormat format, int device) : format_(format), host_(format) {
  // Registration is what fails on a context that is not on the NVIDIA GPU: try it once up front.
  PixelBuffer probe(4096);
  gpu::CudaGlBuffer registered(probe.id(), probe.size(), device);
}

void InteropTextureStream::set_filter(Filter f) {
  filter_ = f;
  host_.set_filter(f);
  for (auto& s : slots_)
    if (s.texture.valid()) s.texture.set_filter(f);
}

const Texture2D& InteropTextureStream::front() const { return last_host_ ? host_.front() : slots_[front_].texture; }

std::string InteropTextureStream::path_name() const {
  return last_host_ ? host_.path_name() + " (CPU batch; interop ready)" : "CUDA-GL interop";
}

void InteropTextureStream::publish(const torch::Tensor& batch, const GridLayout& layout) {
  if (!batch.is_cuda()) {
    host_.publish(batch, layout);
    last_host_ = true;
    last_ms_ = host_.last_publish_ms();
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const int back = 1 - front_;
  Slot& slot = slots_[back];
  const bool rgba = format_ == TexFormat::RGBA8;
  const size_t bytes = static_cast<size_t>(layout.width()) * layout.height() * (rgba ? 4 : sizeof(float));
  const int device = batch.device().index();
  if (!slot.texture.valid() || slot.texture.width() != layout.width() || slot.texture.height() != layout.height()) {
    slot.registered.reset();  // unregister before the GL buffer goes
    slot.texture = Texture2D(layout.width(), layout.height(), format_, filter_);
    slot.pbo = PixelBuffer(bytes);
    slot.registered.emplace(slot.pbo.id(), bytes, device);
  }
  slot.registered->fill({batch}, [&](torch::Tensor& mapped) {
    if (rgba) {
      torch::Tensor view = mapped.view({layout.height(), layout.width(), 4});
      gpu::fill_rgba_atlas(batch, layout, view);
    } else {
      torch::Tensor view = mapped.view(torch::kFloat).view({layout.height(), layout.width()});
      gpu::fill_scalar_atlas(batch, layout, view);
    }
  });
  slot.pbo.bind();
  slot.texture.upload(nullptr);  // source = offset 0 of the bound unpack buffer, filled by CUDA
  PixelBuffer::unbind();
  check_log("InteropTextureStream::publish");
  front_ = back;
  layout_ = layout;
  last_host_ = false;
  last_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace ebm::studio::gl
