#include "app/studio/imgui_layer.h"

#include <imgui.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>

#include <filesystem>
#include <stdexcept>

namespace ebm::studio {

namespace {
// Debian's fonts-dejavu-core; ImGui's built-in bitmap font is the fallback (crisp at 13 px only, so
// it is used unscaled rather than blurred on HiDPI screens).
constexpr const char* kSansFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
constexpr const char* kMonoFont = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
constexpr float kBaseFontPx = 15.f;
}  // namespace

ImGuiLayer::ImGuiLayer(GLFWwindow* window, float content_scale, const std::string& ini_path)
    : ini_path_(ini_path), scale_(content_scale) {
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = ini_path_.empty() ? nullptr : ini_path_.c_str();
  io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
  io.ConfigWindowsMoveFromTitleBarOnly = true;  // dragging inside a view pans it, not the window

  std::error_code ec;
  if (std::filesystem::exists(kSansFont, ec)) {
    io.Fonts->AddFontFromFileTTF(kSansFont, kBaseFontPx * scale_);
    mono_ = std::filesystem::exists(kMonoFont, ec) ? io.Fonts->AddFontFromFileTTF(kMonoFont, (kBaseFontPx - 1.f) * scale_)
                                                   : nullptr;
  } else {
    ImFontConfig cfg;
    cfg.SizePixels = 13.f * (scale_ >= 1.5f ? 2.f : 1.f);
    io.Fonts->AddFontDefault(&cfg);
  }
  if (mono_ == nullptr) mono_ = io.Fonts->Fonts[0];
  apply_studio_theme(scale_);

  if (!ImGui_ImplGlfw_InitForOpenGL(window, /*install_callbacks=*/true)) {
    ImGui::DestroyContext();
    throw std::runtime_error("cannot initialise ImGui's GLFW backend");
  }
  if (!ImGui_ImplOpenGL3_Init("#version 330 core")) {
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    throw std::runtime_error("cannot initialise ImGui's OpenGL 3 backend (needs OpenGL 3.3 core)");
  }
}

ImGuiLayer::~ImGuiLayer() {
  // Reverse of construction: renderer backend, platform backend, then the context (which also saves
  // imgui.ini when IniFilename is set).
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
}

void ImGuiLayer::new_frame() {
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
}

void ImGuiLayer::render() {
  ImGui::Render();
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

void apply_studio_theme(float scale) {
  ImGui::StyleColorsDark();
  ImGuiStyle& s = ImGui::GetStyle();
  s.WindowRounding = 6.f;
  s.ChildRounding = 4.f;
  s.FrameRounding = 4.f;
  s.GrabRounding = 4.f;
  s.PopupRounding = 4.f;
  s.ScrollbarRounding = 6.f;
  s.TabRounding = 4.f;
  s.WindowPadding = ImVec2(10, 10);
  s.FramePadding = ImVec2(8, 4);
  s.ItemSpacing = ImVec2(8, 6);
  s.ItemInnerSpacing = ImVec2(6, 4);
  s.IndentSpacing = 18.f;
  s.ScrollbarSize = 14.f;
  s.GrabMinSize = 12.f;
  s.WindowBorderSize = 1.f;
  s.FrameBorderSize = 0.f;
  ImVec4* c = s.Colors;
  // A neutral dark grey base with one accent (teal-blue), so selections and active controls stand out
  // and text stays at high contrast (WCAG AA on every background used).
  const ImVec4 bg(0.105f, 0.11f, 0.125f, 1.f), panel(0.14f, 0.145f, 0.165f, 1.f), frame(0.20f, 0.21f, 0.24f, 1.f);
  const ImVec4 accent(0.26f, 0.59f, 0.78f, 1.f), accent_hi(0.36f, 0.69f, 0.88f, 1.f), accent_lo(0.20f, 0.45f, 0.60f, 1.f);
  c[ImGuiCol_Text] = ImVec4(0.92f, 0.93f, 0.95f, 1.f);
  c[ImGuiCol_TextDisabled] = ImVec4(0.55f, 0.57f, 0.62f, 1.f);
  c[ImGuiCol_WindowBg] = bg;
  c[ImGuiCol_ChildBg] = panel;
  c[ImGuiCol_PopupBg] = ImVec4(0.12f, 0.125f, 0.14f, 0.98f);
  c[ImGuiCol_Border] = ImVec4(0.28f, 0.29f, 0.33f, 1.f);
  c[ImGuiCol_FrameBg] = frame;
  c[ImGuiCol_FrameBgHovered] = ImVec4(0.25f, 0.27f, 0.31f, 1.f);
  c[ImGuiCol_FrameBgActive] = ImVec4(0.29f, 0.31f, 0.36f, 1.f);
  c[ImGuiCol_TitleBg] = panel;
  c[ImGuiCol_TitleBgActive] = ImVec4(0.17f, 0.24f, 0.30f, 1.f);
  c[ImGuiCol_MenuBarBg] = panel;
  c[ImGuiCol_CheckMark] = accent_hi;
  c[ImGuiCol_SliderGrab] = accent;
  c[ImGuiCol_SliderGrabActive] = accent_hi;
  c[ImGuiCol_Button] = ImVec4(0.22f, 0.30f, 0.38f, 1.f);
  c[ImGuiCol_ButtonHovered] = accent_lo;
  c[ImGuiCol_ButtonActive] = accent;
  c[ImGuiCol_Header] = ImVec4(0.20f, 0.30f, 0.38f, 1.f);
  c[ImGuiCol_HeaderHovered] = accent_lo;
  c[ImGuiCol_HeaderActive] = accent;
  c[ImGuiCol_Tab] = panel;
  c[ImGuiCol_TabHovered] = accent_lo;
  c[ImGuiCol_TabActive] = ImVec4(0.20f, 0.36f, 0.47f, 1.f);
  c[ImGuiCol_PlotLines] = accent_hi;
  c[ImGuiCol_PlotHistogram] = accent;
  c[ImGuiCol_TextSelectedBg] = ImVec4(0.26f, 0.59f, 0.78f, 0.40f);
  c[ImGuiCol_NavHighlight] = accent_hi;
  s.ScaleAllSizes(scale);
}

}  // namespace ebm::studio
