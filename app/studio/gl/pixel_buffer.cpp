#include "app/studio/gl/pixel_buffer.h"

#include <utility>

namespace ebm::studio::gl {

PixelBuffer::PixelBuffer(size_t bytes) : bytes_(bytes) {
  glGenBuffers(1, &id_);
  glBindBuffer(GL_PIXEL_UNPACK_BUFFER, id_);
  glBufferData(GL_PIXEL_UNPACK_BUFFER, static_cast<GLsizeiptr>(bytes), nullptr, GL_STREAM_DRAW);
  glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
  check_throw("PixelBuffer allocation");
}

PixelBuffer::~PixelBuffer() { release(); }

PixelBuffer::PixelBuffer(PixelBuffer&& o) noexcept
    : id_(std::exchange(o.id_, 0)), bytes_(std::exchange(o.bytes_, 0)) {}

PixelBuffer& PixelBuffer::operator=(PixelBuffer&& o) noexcept {
  if (this != &o) {
    release();
    id_ = std::exchange(o.id_, 0);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

void PixelBuffer::release() noexcept {
  if (id_ != 0) glDeleteBuffers(1, &id_);
  id_ = 0;
}

void* PixelBuffer::map_write() {
  bind();
  void* p = glMapBufferRange(GL_PIXEL_UNPACK_BUFFER, 0, static_cast<GLsizeiptr>(bytes_),
                             GL_MAP_WRITE_BIT | GL_MAP_INVALIDATE_BUFFER_BIT);
  if (p == nullptr) check_log("PixelBuffer::map_write");
  return p;
}

bool PixelBuffer::unmap() {
  bind();
  const bool ok = glUnmapBuffer(GL_PIXEL_UNPACK_BUFFER) == GL_TRUE;
  if (!ok) check_log("PixelBuffer::unmap");
  return ok;
}

}  // namespace ebm::studio::gl
