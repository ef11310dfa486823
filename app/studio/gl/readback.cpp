#include "app/studio/gl/readback.h"

#include "app/studio/app_paths.h"

#include <stb_image_write.h>

#include <cstring>
#include <stdexcept>

namespace ebm::studio::gl {

RgbaImage read_framebuffer(GLuint fbo, int width, int height, bool fbo_top_row_first) {
  if (width <= 0 || height <= 0) throw std::runtime_error("cannot read back an empty framebuffer");
  RgbaImage img{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 4)};
  GLint prev = 0;
  glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &prev);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, fbo);
  if (fbo == 0) glReadBuffer(GL_BACK);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, img.pixels.data());
  glPixelStorei(GL_PACK_ALIGNMENT, 4);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, static_cast<GLuint>(prev));
  check_throw("glReadPixels");
  if (!fbo_top_row_first) {
    const size_t row = static_cast<size_t>(width) * 4;
    std::vector<uint8_t> tmp(row);
    for (int y = 0; y < height / 2; ++y) {
      uint8_t* a = img.pixels.data() + static_cast<size_t>(y) * row;
      uint8_t* b = img.pixels.data() + static_cast<size_t>(height - 1 - y) * row;
      std::memcpy(tmp.data(), a, row);
      std::memcpy(a, b, row);
      std::memcpy(b, tmp.data(), row);
    }
  }
  return img;
}

void write_png(const std::filesystem::path& path, const RgbaImage& img) {
  std::string bytes;
  auto append = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(append, &bytes, img.width, img.height, 4, img.pixels.data(), img.width * 4) ||
      bytes.empty())
    throw std::runtime_error("cannot encode PNG for " + path.string() + " (out of memory?)");
  write_file_atomic(path, bytes);
}

}  // namespace ebm::studio::gl
