// Texture2D: one GL 2-D texture (RGBA8 for images, R32F for scalar fields such as masks, attention
// and gradient magnitude), owned RAII-style.
#pragma once

#include "app/studio/gl/gl.h"

namespace ebm::studio::gl {

enum class TexFormat { RGBA8, R32F };
enum class Filter { Nearest, Linear };

class Texture2D {
 public:
  Texture2D() = default;
  // Allocates storage (contents undefined); throws std::runtime_error on a GL error.
  Texture2D(int width, int height, TexFormat fmt, Filter filter = Filter::Nearest);
  ~Texture2D();

  // Copy is deleted: a GL texture name has exactly one owner that deletes it; copying the pixels
  // would need the GL context and is never what a caller wants implicitly.
  Texture2D(const Texture2D&) = delete;
  Texture2D& operator=(const Texture2D&) = delete;
  Texture2D(Texture2D&& o) noexcept;
  Texture2D& operator=(Texture2D&& o) noexcept;

  GLuint id() const { return id_; }
  bool valid() const { return id_ != 0; }
  int width() const { return width_; }
  int height() const { return height_; }
  TexFormat format() const { return format_; }

  void set_filter(Filter f);
  // Uploads a full image from host memory (`pixels` tightly packed in this texture's format), or from
  // the bound GL_PIXEL_UNPACK_BUFFER when `pixels` is an offset into it (nullptr = offset 0).
  void upload(const void* pixels);
  void bind(int unit) const;

 private:
  void release() noexcept;
  GLuint id_ = 0;
  int width_ = 0, height_ = 0;
  TexFormat format_ = TexFormat::RGBA8;
};

}  // namespace ebm::studio::gl
