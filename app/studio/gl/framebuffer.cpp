#include "app/studio/gl/framebuffer.h"

#include <stdexcept>
#include <utility>

namespace ebm::studio::gl {

Framebuffer::Framebuffer(int width, int height) : color_(width, height, TexFormat::RGBA8, Filter::Linear) {
  glGenFramebuffers(1, &id_);
  glBindFramebuffer(GL_FRAMEBUFFER, id_);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, color_.id(), 0);
  const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  if (status != GL_FRAMEBUFFER_COMPLETE) {
    release();
    throw std::runtime_error("off-screen framebuffer is incomplete (status 0x" + std::to_string(status) +
                             "); the OpenGL driver cannot render to an RGBA8 texture");
  }
  check_throw("Framebuffer creation");
}

Framebuffer::~Framebuffer() { release(); }

Framebuffer::Framebuffer(Framebuffer&& o) noexcept : id_(std::exchange(o.id_, 0)), color_(std::move(o.color_)) {}

Framebuffer& Framebuffer::operator=(Framebuffer&& o) noexcept {
  if (this != &o) {
    release();
    id_ = std::exchange(o.id_, 0);
    color_ = std::move(o.color_);
  }
  return *this;
}

void Framebuffer::release() noexcept {
  if (id_ != 0) glDeleteFramebuffers(1, &id_);
  id_ = 0;
}

void Framebuffer::resize(int width, int height) {
  if (valid() && width == this->width() && height == this->height()) return;
  *this = Framebuffer(width, height);
}

void Framebuffer::bind() const {
  glBindFramebuffer(GL_FRAMEBUFFER, id_);
  glViewport(0, 0, width(), height());
}

void Framebuffer::unbind() { glBindFramebuffer(GL_FRAMEBUFFER, 0); }

VertexArray::VertexArray() { glGenVertexArrays(1, &id_); }
VertexArray::~VertexArray() {
  if (id_ != 0) glDeleteVertexArrays(1, &id_);
}
VertexArray::VertexArray(VertexArray&& o) noexcept : id_(std::exchange(o.id_, 0)) {}
VertexArray& VertexArray::operator=(VertexArray&& o) noexcept {
  if (this != &o) {
    if (id_ != 0) glDeleteVertexArrays(1, &id_);
    id_ = std::exchange(o.id_, 0);
  }
  return *this;
}

}  // namespace ebm::studio::gl
