// ShaderProgram: a linked GLSL program (vertex + fragment), owned RAII-style.
#pragma once

#include "app/studio/gl/gl.h"

#include <string>
#include <unordered_map>

namespace ebm::studio::gl {

class ShaderProgram {
 public:
  ShaderProgram() = default;
  // Compiles and links; throws std::runtime_error with the driver's info log and the shader's name.
  ShaderProgram(const std::string& name, const std::string& vertex_src, const std::string& fragment_src);
  ~ShaderProgram();

  // Copy is deleted: two owners of one GL name would delete it twice, and a copy cannot be made
  // without recompiling. Move hands the name over and leaves the source empty.
  ShaderProgram(const ShaderProgram&) = delete;
  ShaderProgram& operator=(const ShaderProgram&) = delete;
  ShaderProgram(ShaderProgram&& o) noexcept;
  ShaderProgram& operator=(ShaderProgram&& o) noexcept;

  GLuint id() const { return id_; }
  bool valid() const { return id_ != 0; }
  void use() const { glUseProgram(id_); }

  // Uniform setters look the location up once; unknown names (e.g. optimized away) are ignored.
  void set(const char* name, int v) const;
  void set(const char* name, float v) const;
  void set(const char* name, float x, float y) const;
  void set(const char* name, float x, float y, float z, float w) const;

 private:
  GLint location(const char* name) const;
  void release() noexcept;

  GLuint id_ = 0;
  std::string name_;
  mutable std::unordered_map<std::string, GLint> locations_;
};

}  // namespace ebm::studio::gl
