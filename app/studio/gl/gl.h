// The one place the studio includes OpenGL. GL 3.3 core entry points come straight from the system's
// libGL (glvnd exports every core and ARB function), declared by glext.h when GL_GLEXT_PROTOTYPES is
// set, so no loader library is needed. ImGui's OpenGL3 backend keeps its own internal loader.
#pragma once

#ifndef GL_GLEXT_PROTOTYPES
#define GL_GLEXT_PROTOTYPES 1
#endif
#include <GL/gl.h>
#include <GL/glext.h>

#include <string>

namespace ebm::studio::gl {

// Throws std::runtime_error naming `what` and the GL error when glGetError reports one. For code
// paths where an error must stop the operation (creating a resource, reading pixels back).
void check_throw(const char* what);
// Logs (never throws) and clears pending GL errors: for destructors and per-frame drawing, where an
// exception would be worse than a logged glitch.
void check_log(const char* what);
std::string error_name(GLenum err);

}  // namespace ebm::studio::gl
