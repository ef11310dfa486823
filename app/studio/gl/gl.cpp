#include "app/studio/gl/gl.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace ebm::studio::gl {

std::string error_name(GLenum err) {
  switch (err) {
    case GL_NO_ERROR: return "GL_NO_ERROR";
    case GL_INVALID_ENUM: return "GL_INVALID_ENUM";
    case GL_INVALID_VALUE: return "GL_INVALID_VALUE";
    case GL_INVALID_OPERATION: return "GL_INVALID_OPERATION";
    case GL_INVALID_FRAMEBUFFER_OPERATION: return "GL_INVALID_FRAMEBUFFER_OPERATION";
    case GL_OUT_OF_MEMORY: return "GL_OUT_OF_MEMORY";
    default: return "GL error 0x" + std::to_string(static_cast<unsigned>(err));
  }
}

void check_throw(const char* what) {
  GLenum first = glGetError();
  if (first == GL_NO_ERROR) return;
  // Drain the queue so the next check reports only its own errors.
  while (glGetError() != GL_NO_ERROR) {
  }
  throw std::runtime_error(std::string("OpenGL error in ") + what + ": " + error_name(first) +
                           " (the GPU driver may lack OpenGL 3.3 core or be out of memory)");
}

void check_log(const char* what) {
  for (GLenum e = glGetError(); e != GL_NO_ERROR; e = glGetError())
    spdlog::warn("OpenGL error in {}: {}", what, error_name(e));
}

}  // namespace ebm::studio::gl
