#include "app/studio/gl/texture.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace ebm::studio::gl {

namespace {
GLint internal_format(TexFormat f) { return f == TexFormat::RGBA8 ? GL_RGBA8 : GL_R32F; }
GLenum pixel_format(TexFormat f) { return f == TexFormat::RGBA8 ? GL_RGBA : GL_RED; }
GLenum pixel_type(TexFormat f) { return f == TexFormat::RGBA8 ? GL_UNSIGNED_BYTE : GL_FLOAT; }
}  // namespace

Texture2D::Texture2D(int width, int height, TexFormat fmt, Filter filter)
    : width_(width), height_(height), format_(fmt) {
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
    throw std::invalid_argument("texture size " + std::to_string(width) + "x" + std::to_string(height) +
                                " is outside 1..16384");
  glGenTextures(1, &id_);
  glBindTexture(GL_TEXTURE_2D, id_);
  glTexImage2D(GL_TEXTURE_2D, 0, internal_format(fmt), width, height, 0, pixel_format(fmt), pixel_type(fmt),
               nullptr);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glBindTexture(GL_TEXTURE_2D, 0);
  set_filter(filter);
  check_throw("Texture2D allocation");
}

Texture2D::~Texture2D() { release(); }

Texture2D::Texture2D(Texture2D&& o) noexcept
    : id_(std::exchange(o.id_, 0)), width_(o.width_), height_(o.height_), format_(o.format_) {}

Texture2D& Texture2D::operator=(Texture2D&& o) noexcept {
  if (this != &o) {
    release();
    id_ = std::exchange(o.id_, 0);
    width_ = o.width_;
    height_ = o.height_;
    format_ = o.format_;
  }
  return *this;
}

void Texture2D::release() noexcept {
  if (id_ != 0) glDeleteTextures(1, &id_);
  id_ = 0;
}

void Texture2D::set_filter(Filter f) {
  const GLint mode = f == Filter::Nearest ? GL_NEAREST : GL_LINEAR;
  glBindTexture(GL_TEXTURE_2D, id_);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, mode);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, mode);
  glBindTexture(GL_TEXTURE_2D, 0);
}

void Texture2D::upload(const void* pixels) {
  glBindTexture(GL_TEXTURE_2D, id_);
  // Rows are tightly packed whatever their width (the default alignment of 4 breaks odd R32F widths
  // only by luck, and RGBA8 never; set it explicitly so both are right).
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width_, height_, pixel_format(format_), pixel_type(format_), pixels);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glBindTexture(GL_TEXTURE_2D, 0);
}

void Texture2D::bind(int unit) const {
  glActiveTexture(GL_TEXTURE0 + unit);
  glBindTexture(GL_TEXTURE_2D, id_);
}

}  // namespace ebm::studio::gl
