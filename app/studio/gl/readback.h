// Reading pixels back from GL (screenshots, tests) and writing them as PNG.
#pragma once

#include "app/studio/gl/gl.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ebm::studio::gl {

struct RgbaImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // row-major RGBA8, row 0 = top of the picture
};

// Reads `fbo` (0 = the window's back buffer, read after drawing and before the swap). GL's rows run
// bottom-up; `fbo_top_row_first` says whether row 0 of this framebuffer is already the picture's top
// (true for the studio's view FBOs, false for the window). Throws std::runtime_error on a GL error.
RgbaImage read_framebuffer(GLuint fbo, int width, int height, bool fbo_top_row_first);

// Encodes to PNG and writes it atomically (temp file + rename). Throws std::runtime_error naming the
// path on failure.
void write_png(const std::filesystem::path& path, const RgbaImage& img);

}  // namespace ebm::studio::gl
