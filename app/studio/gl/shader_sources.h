// GLSL sources of shaders/, embedded at build time (cmake/EmbedShaders.cmake).
#pragma once

#include <string>

namespace ebm::studio::gl {

// Throws std::runtime_error for an unknown file name (e.g. "grid.frag.glsl").
const std::string& shader_source(const std::string& name);

// "#version 330 core" + view_common.glsl (for fragments) + the named file: what the views compile.
std::string view_fragment_source(const std::string& name);
std::string view_vertex_source();

}  // namespace ebm::studio::gl
