#include "app/studio/window.h"

#include "app/studio/gl/gl.h"

#include <GLFW/glfw3.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string>

namespace ebm::studio {

namespace {
std::string glfw_error_text() {
  const char* desc = nullptr;
  const int code = glfwGetError(&desc);
  return code == GLFW_NO_ERROR ? std::string("unknown GLFW error") : std::string(desc ? desc : "(no description)");
}
}  // namespace

GlfwLibrary::GlfwLibrary() {
  glfwSetErrorCallback([](int code, const char* desc) { spdlog::error("GLFW error {}: {}", code, desc); });
  if (!glfwInit())
    throw std::runtime_error("cannot initialise GLFW: " + glfw_error_text() +
                             ". Is a display available? (set DISPLAY, or run under xvfb-run -a)");
}

GlfwLibrary::~GlfwLibrary() { glfwTerminate(); }

Window::Window(const WindowOptions& opt) {
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  glfwWindowHint(GLFW_VISIBLE, opt.visible ? GLFW_TRUE : GLFW_FALSE);
  glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);  // HiDPI: the window gets the monitor's scale
  win_ = glfwCreateWindow(opt.width, opt.height, opt.title.c_str(), nullptr, nullptr);
  if (win_ == nullptr)
    throw std::runtime_error("cannot create an OpenGL 3.3 core window: " + glfw_error_text() +
                             ". The studio needs OpenGL 3.3; with Mesa, try LIBGL_ALWAYS_SOFTWARE=1.");
  glfwMakeContextCurrent(win_);
  glfwSwapInterval(opt.vsync ? 1 : 0);
}

Window::~Window() {
  if (win_ != nullptr) glfwDestroyWindow(win_);
}

bool Window::should_close() const { return glfwWindowShouldClose(win_) != 0; }
void Window::request_close() { glfwSetWindowShouldClose(win_, GLFW_TRUE); }

float Window::content_scale() const {
  float sx = 1.f, sy = 1.f;
  glfwGetWindowContentScale(win_, &sx, &sy);
  const float s = sx > sy ? sx : sy;
  return s > 0.25f && s < 8.f ? s : 1.f;
}

void Window::framebuffer_size(int& w, int& h) const { glfwGetFramebufferSize(win_, &w, &h); }

int Window::refresh_rate() const {
  GLFWmonitor* mon = glfwGetPrimaryMonitor();
  const GLFWvidmode* mode = mon ? glfwGetVideoMode(mon) : nullptr;
  return mode && mode->refreshRate >= 30 ? mode->refreshRate : 60;
}

std::string Window::gl_renderer() const {
  const auto* r = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
  const auto* v = reinterpret_cast<const char*>(glGetString(GL_VERSION));
  return std::string(r ? r : "?") + " — OpenGL " + (v ? v : "?");
}

}  // namespace ebm::studio
