#include "app/studio/gl/texture_stream.h"

#include "app/studio/gl/interop_texture_stream.h"
#include "engine/gpu/atlas.h"

#include <spdlog/spdlog.h>
#include <torch/cuda.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace ebm::studio::gl {

HostTextureStream::HostTextureStream(TexFormat format) : format_(format) {}

void HostTextureStream::set_filter(Filter f) {
  filter_ = f;
  for (auto& s : slots_)
    if (s.texture.valid()) s.texture.set_filter(f);
}

void HostTextureStream::publish(const torch::Tensor& batch, const GridLayout& layout) {
  const auto t0 = std::chrono::steady_clock::now();
  const int back = 1 - front_;
  Slot& slot = slots_[back];
  const bool rgba = format_ == TexFormat::RGBA8;
  const size_t bytes = static_cast<size_t>(layout.width()) * layout.height() * (rgba ? 4 : sizeof(float));
  if (!slot.texture.valid() || slot.texture.width() != layout.width() || slot.texture.height() != layout.height()) {
    slot.texture = Texture2D(layout.width(), layout.height(), format_, filter_);
    slot.pbo = PixelBuffer(bytes);
  }
  void* mapped = slot.pbo.map_write();
  if (mapped == nullptr) {
    PixelBuffer::unbind();
    throw std::runtime_error("cannot map the pixel buffer for the grid upload (GL driver out of memory?)");
  }
  try {
    // The tensor views the mapped memory directly: the atlas is written once, straight into the PBO.
    if (rgba) {
      torch::Tensor view = torch::from_blob(mapped, {layout.height(), layout.width(), 4}, torch::kUInt8);
      gpu::fill_rgba_atlas(batch, layout, view);
    } else {
      torch::Tensor view = torch::from_blob(mapped, {layout.height(), layout.width()}, torch::kFloat);
      gpu::fill_scalar_atlas(batch, layout, view);
    }
  } catch (...) {
    slot.pbo.unmap();
    PixelBuffer::unbind();
    throw;
  }
  const bool intact = slot.pbo.unmap();
  if (intact) slot.texture.upload(nullptr);  // source = offset 0 of the bound unpack buffer
  PixelBuffer::unbind();
  check_log("HostTextureStream::publish");
  if (intact) {
    front_ = back;
    layout_ = layout;
  }
  last_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::unique_ptr<TextureStream> make_texture_stream(TexFormat format) {
  // EBM_STUDIO_PREVIEW=host keeps GPU previews on the host path (to compare the two, or to work
  // around a driver whose interop misbehaves).
  const char* forced = std::getenv("EBM_STUDIO_PREVIEW");
  const bool host_only = forced != nullptr && std::string(forced) == "host";
  if (!host_only && gpu::CudaGlBuffer::available() && torch::cuda::is_available()) {
    try {
      return std::make_unique<InteropTextureStream>(format, 0);
    } catch (const std::exception& e) {
      spdlog::warn("CUDA-GL interop is not available here ({}); previews of GPU chains go through host memory",
                   e.what());
    }
  }
  return std::make_unique<HostTextureStream>(format);
}

}  // namespace ebm::studio::gl
