// Framebuffer: an off-screen render target (FBO + its RGBA8 colour texture). The views render the
// grid, overlays and colormaps into one of these, and ImGui shows its texture as an image.
#pragma once

#include "app/studio/gl/texture.h"

namespace ebm::studio::gl {

class Framebuffer {
 public:
  Framebuffer() = default;
  // Throws std::runtime_error when the driver reports the FBO incomplete.
  Framebuffer(int width, int height);
  ~Framebuffer();

  // Copy is deleted: the FBO name and its attached texture have one owner; a copy would alias the
  // attachment and delete it twice. Move transfers both.
  Framebuffer(const Framebuffer&) = delete;
  Framebuffer& operator=(const Framebuffer&) = delete;
  Framebuffer(Framebuffer&& o) noexcept;
  Framebuffer& operator=(Framebuffer&& o) noexcept;

  GLuint id() const { return id_; }
  bool valid() const { return id_ != 0; }
  int width() const { return color_.width(); }
  int height() const { return color_.height(); }
  const Texture2D& color() const { return color_; }
  // Reallocates when the size changed (a view was resized); a no-op otherwise.
  void resize(int width, int height);

  // Binds this FBO and sets the viewport to it; the previous binding is restored by `unbind`.
  void bind() const;
  static void unbind();

 private:
  void release() noexcept;
  GLuint id_ = 0;
  Texture2D color_;
};

// VertexArray: an empty VAO. GL 3.3 core draws nothing without one bound; our shaders generate the
// full-screen triangle from gl_VertexID, so no vertex buffer is needed.
class VertexArray {
 public:
  VertexArray();
  ~VertexArray();
  // Copy is deleted for the same reason as every GL handle here: exactly one owner deletes the name.
  VertexArray(const VertexArray&) = delete;
  VertexArray& operator=(const VertexArray&) = delete;
  VertexArray(VertexArray&& o) noexcept;
  VertexArray& operator=(VertexArray&& o) noexcept;
  void bind() const { glBindVertexArray(id_); }

 private:
  GLuint id_ = 0;
};

}  // namespace ebm::studio::gl
