// ImGuiLayer: Dear ImGui's lifetime for one window — context, GLFW + OpenGL3 backends, theme, HiDPI
// fonts, imgui.ini location — created in the constructor and shut down in reverse in the destructor.
// GL thread only (ImGui is not thread-safe: everything touching it runs on the main thread).
#pragma once

#include <string>

struct GLFWwindow;
struct ImFont;

namespace ebm::studio {

class ImGuiLayer {
 public:
  // `ini_path` empty: no imgui.ini (tests, scripted runs that must not depend on a user's layout).
  ImGuiLayer(GLFWwindow* window, float content_scale, const std::string& ini_path);
  ~ImGuiLayer();
  // Copy and move are deleted: ImGui's context and backends are global state bound to one window.
  ImGuiLayer(const ImGuiLayer&) = delete;
  ImGuiLayer& operator=(const ImGuiLayer&) = delete;

  void new_frame();  // backends first, then ImGui::NewFrame (the canonical order)
  void render();     // ImGui::Render + draw the draw lists into the current framebuffer
  float scale() const { return scale_; }
  ImFont* mono_font() const { return mono_; }  // for numbers in the perf overlay and logs

 private:
  std::string ini_path_;  // ImGui keeps the char pointer: this string must outlive the context
  float scale_ = 1.f;
  ImFont* mono_ = nullptr;
};

// The studio's theme: dark, slightly larger spacing, rounded widgets, high-contrast text; every size
// multiplied by `scale` (HiDPI).
void apply_studio_theme(float scale);

}  // namespace ebm::studio
