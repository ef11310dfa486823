#include "app/studio/gl/shader_program.h"

#include <stdexcept>
#include <utility>
#include <vector>

namespace ebm::studio::gl {

namespace {

std::string info_log(GLuint obj, bool is_program) {
  GLint len = 0;
  if (is_program) glGetProgramiv(obj, GL_INFO_LOG_LENGTH, &len);
  else glGetShaderiv(obj, GL_INFO_LOG_LENGTH, &len);
  if (len <= 1) return "(no log)";
  std::vector<char> buf(static_cast<size_t>(len));
  if (is_program) glGetProgramInfoLog(obj, len, nullptr, buf.data());
  else glGetShaderInfoLog(obj, len, nullptr, buf.data());
  return std::string(buf.data());
}

GLuint compile(GLenum stage, const std::string& src, const std::string& name) {
  GLuint sh = glCreateShader(stage);
  if (sh == 0) throw std::runtime_error("glCreateShader failed for shader '" + name + "'");
  const char* p = src.c_str();
  glShaderSource(sh, 1, &p, nullptr);
  glCompileShader(sh);
  GLint ok = 0;
  glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    std::string log = info_log(sh, false);
    glDeleteShader(sh);
    throw std::runtime_error("cannot compile " + std::string(stage == GL_VERTEX_SHADER ? "vertex" : "fragment") +
                             " shader '" + name + "': " + log);
  }
  return sh;
}

}  // namespace

ShaderProgram::ShaderProgram(const std::string& name, const std::string& vertex_src,
                             const std::string& fragment_src)
    : name_(name) {
  GLuint vs = compile(GL_VERTEX_SHADER, vertex_src, name);
  GLuint fs = 0;
  try {
    fs = compile(GL_FRAGMENT_SHADER, fragment_src, name);
  } catch (...) {
    glDeleteShader(vs);
    throw;
  }
  id_ = glCreateProgram();
  glAttachShader(id_, vs);
  glAttachShader(id_, fs);
  glLinkProgram(id_);
  // The program keeps the compiled stages; the shader objects are no longer needed.
  glDetachShader(id_, vs);
  glDetachShader(id_, fs);
  glDeleteShader(vs);
  glDeleteShader(fs);
  GLint ok = 0;
  glGetProgramiv(id_, GL_LINK_STATUS, &ok);
  if (!ok) {
    std::string log = info_log(id_, true);
    release();
    throw std::runtime_error("cannot link shader program '" + name + "': " + log);
  }
}

ShaderProgram::~ShaderProgram() { release(); }

ShaderProgram::ShaderProgram(ShaderProgram&& o) noexcept
    : id_(std::exchange(o.id_, 0)), name_(std::move(o.name_)), locations_(std::move(o.locations_)) {}

ShaderProgram& ShaderProgram::operator=(ShaderProgram&& o) noexcept {
  if (this != &o) {
    release();
    id_ = std::exchange(o.id_, 0);
    name_ = std::move(o.name_);
    locations_ = std::move(o.locations_);
  }
  return *this;
}

void ShaderProgram::release() noexcept {
  if (id_ != 0) glDeleteProgram(id_);
  id_ = 0;
  locations_.clear();
}

GLint ShaderProgram::location(const char* name) const {
  auto it = locations_.find(name);
  if (it != locations_.end()) return it->second;
  GLint loc = glGetUniformLocation(id_, name);
  locations_.emplace(name, loc);
  return loc;
}

void ShaderProgram::set(const char* name, int v) const { glUniform1i(location(name), v); }
void ShaderProgram::set(const char* name, float v) const { glUniform1f(location(name), v); }
void ShaderProgram::set(const char* name, float x, float y) const { glUniform2f(location(name), x, y); }
void ShaderProgram::set(const char* name, float x, float y, float z, float w) const {
  glUniform4f(location(name), x, y, z, w);
}

}  // namespace ebm::studio::gl
