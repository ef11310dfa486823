#include "engine/gpu/headless_gl.h"

#ifdef EBM_HAVE_EGL
#include <EGL/egl.h>
#include <EGL/eglext.h>
#ifndef GL_GLEXT_PROTOTYPES
#define GL_GLEXT_PROTOTYPES 1
#endif
#include <GL/gl.h>
#include <GL/glext.h>
#endif

namespace ebm::gpu {

#ifdef EBM_HAVE_EGL

struct HeadlessGl::Impl {
  EGLDisplay display = EGL_NO_DISPLAY;
  EGLSurface surface = EGL_NO_SURFACE;
  EGLContext context = EGL_NO_CONTEXT;
};

HeadlessGl::HeadlessGl() : impl_(std::make_unique<Impl>()) {}

std::unique_ptr<HeadlessGl> HeadlessGl::create(std::string* why) {
  auto fail = [why](const std::string& m) -> std::unique_ptr<HeadlessGl> {
    if (why) *why = m;
    return nullptr;
  };
  auto query_devices = reinterpret_cast<PFNEGLQUERYDEVICESEXTPROC>(eglGetProcAddress("eglQueryDevicesEXT"));
  auto platform_display =
      reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(eglGetProcAddress("eglGetPlatformDisplayEXT"));
  if (!query_devices || !platform_display) return fail("EGL has no device enumeration (EGL_EXT_device_enumeration)");
  EGLDeviceEXT devices[8];
  EGLint n = 0;
  if (!query_devices(8, devices, &n) || n < 1) return fail("EGL lists no device (no GPU driver with EGL)");
  std::unique_ptr<HeadlessGl> gl(new HeadlessGl());
  Impl& i = *gl->impl_;
  i.display = platform_display(EGL_PLATFORM_DEVICE_EXT, devices[0], nullptr);
  if (i.display == EGL_NO_DISPLAY || !eglInitialize(i.display, nullptr, nullptr))
    return fail("cannot initialise the EGL display of device 0");
  const EGLint config_attrs[] = {EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT,
                                 EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8, EGL_NONE};
  EGLConfig config;
  EGLint configs = 0;
  if (!eglChooseConfig(i.display, config_attrs, &config, 1, &configs) || configs < 1)
    return fail("no EGL config with an OpenGL pbuffer");
  const EGLint pbuffer_attrs[] = {EGL_WIDTH, 1, EGL_HEIGHT, 1, EGL_NONE};
  i.surface = eglCreatePbufferSurface(i.display, config, pbuffer_attrs);
  if (!eglBindAPI(EGL_OPENGL_API)) return fail("EGL cannot bind the OpenGL API");
  i.context = eglCreateContext(i.display, config, EGL_NO_CONTEXT, nullptr);
  if (i.context == EGL_NO_CONTEXT) return fail("eglCreateContext failed");
  if (!eglMakeCurrent(i.display, i.surface, i.surface, i.context)) return fail("eglMakeCurrent failed");
  return gl;
}

HeadlessGl::~HeadlessGl() {
  Impl& i = *impl_;
  if (i.display == EGL_NO_DISPLAY) return;
  eglMakeCurrent(i.display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
  if (i.context != EGL_NO_CONTEXT) eglDestroyContext(i.display, i.context);
  if (i.surface != EGL_NO_SURFACE) eglDestroySurface(i.display, i.surface);
  eglTerminate(i.display);
}

std::string HeadlessGl::renderer() const {
  const auto* r = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
  return r ? r : "?";
}

unsigned int HeadlessGl::create_buffer(std::size_t bytes) {
  GLuint id = 0;
  glGenBuffers(1, &id);
  glBindBuffer(GL_PIXEL_UNPACK_BUFFER, id);
  glBufferData(GL_PIXEL_UNPACK_BUFFER, static_cast<GLsizeiptr>(bytes), nullptr, GL_STREAM_DRAW);
  glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
  return id;
}

void HeadlessGl::delete_buffer(unsigned int id) {
  GLuint b = id;
  if (b != 0) glDeleteBuffers(1, &b);
}

void HeadlessGl::finish() { glFinish(); }

std::vector<std::uint8_t> HeadlessGl::read_buffer(unsigned int id, std::size_t bytes) {
  std::vector<std::uint8_t> out(bytes);
  glBindBuffer(GL_PIXEL_UNPACK_BUFFER, id);
  glGetBufferSubData(GL_PIXEL_UNPACK_BUFFER, 0, static_cast<GLsizeiptr>(bytes), out.data());
  glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
  return out;
}

#else

struct HeadlessGl::Impl {};
HeadlessGl::HeadlessGl() : impl_(std::make_unique<Impl>()) {}
HeadlessGl::~HeadlessGl() = default;

std::unique_ptr<HeadlessGl> HeadlessGl::create(std::string* why) {
  if (why) *why = "this build has no EGL (headless GL needs a CUDA build with the EGL headers)";
  return nullptr;
}

std::string HeadlessGl::renderer() const { return "none"; }
unsigned int HeadlessGl::create_buffer(std::size_t) { return 0; }
void HeadlessGl::delete_buffer(unsigned int) {}
void HeadlessGl::finish() {}
std::vector<std::uint8_t> HeadlessGl::read_buffer(unsigned int, std::size_t) { return {}; }

#endif

}  // namespace ebm::gpu
