// PixelBuffer: a GL pixel-unpack buffer (PBO). The host writes a frame into mapped PBO memory and
// glTexSubImage2D copies it to a texture inside the driver, so the copy can overlap with drawing.
#pragma once

#include "app/studio/gl/gl.h"

#include <cstddef>

namespace ebm::studio::gl {

class PixelBuffer {
 public:
  PixelBuffer() = default;
  explicit PixelBuffer(size_t bytes);  // throws std::runtime_error on a GL error
  ~PixelBuffer();

  // Copy is deleted: one buffer name, one owner (a double delete would free another object's name
  // that GL may have recycled). Moving transfers the name; the moved-from buffer is empty.
  PixelBuffer(const PixelBuffer&) = delete;
  PixelBuffer& operator=(const PixelBuffer&) = delete;
  PixelBuffer(PixelBuffer&& o) noexcept;
  PixelBuffer& operator=(PixelBuffer&& o) noexcept;

  GLuint id() const { return id_; }
  size_t size() const { return bytes_; }

  // Maps the whole buffer for writing, orphaning the previous contents so the driver need not wait
  // for a pending texture copy from it. Returns nullptr (and logs) when mapping fails.
  void* map_write();
  // Unmaps; returns false when the driver reports the contents were lost (then skip this frame).
  bool unmap();
  void bind() const { glBindBuffer(GL_PIXEL_UNPACK_BUFFER, id_); }
  static void unbind() { glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0); }

 private:
  void release() noexcept;
  GLuint id_ = 0;
  size_t bytes_ = 0;
};

}  // namespace ebm::studio::gl
