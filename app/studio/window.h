// GLFW library and window lifetime as RAII types, so the studio's shutdown order is the reverse of
// its construction order by the language's rules rather than by hand-written cleanup.
#pragma once

struct GLFWwindow;

#include <string>

namespace ebm::studio {

// glfwInit in the constructor, glfwTerminate in the destructor. One per process, main thread only.
class GlfwLibrary {
 public:
  GlfwLibrary();  // throws std::runtime_error with GLFW's description (e.g. no display)
  ~GlfwLibrary();
  // Copy and move are deleted: GLFW is process-global state; a second owner would terminate it twice.
  GlfwLibrary(const GlfwLibrary&) = delete;
  GlfwLibrary& operator=(const GlfwLibrary&) = delete;
};

struct WindowOptions {
  int width = 1600, height = 1000;
  std::string title = "ebm-studio";
  bool visible = true;  // false: an off-screen context for tests
  bool vsync = true;
};

// A window with an OpenGL 3.3 core context, current on the calling thread after construction.
class Window {
 public:
  explicit Window(const WindowOptions& opt);  // throws std::runtime_error saying what to try
  ~Window();
  // Copy is deleted: the GLFWwindow (and the GL context inside it) has one owner that destroys it.
  // Move is deleted too: GLFW callbacks hold the window's address as their user pointer.
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  GLFWwindow* handle() const { return win_; }
  bool should_close() const;
  void request_close();
  // Content scale of the monitor the window is on (2 on a typical HiDPI screen).
  float content_scale() const;
  void framebuffer_size(int& w, int& h) const;
  // The refresh rate of the window's monitor (60 when unknown), used to cap the frame rate where
  // vsync does not block (Xvfb, some compositors).
  int refresh_rate() const;
  std::string gl_renderer() const;  // "llvmpipe (LLVM 15.0.6, 256 bits)", "NVIDIA H100 …/PCIe/SSE2"

 private:
  GLFWwindow* win_ = nullptr;
};

}  // namespace ebm::studio
