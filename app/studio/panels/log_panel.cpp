// Errors and notices in the UI: toasts for new warnings and errors (bottom right, a few seconds
// each), and the Log window with the full history. Every spdlog warning/error of the process lands
// here too (ui_log.h), so nothing the user must see is only on stderr.
#include "app/studio/panels/panels.h"

#include <chrono>

namespace ebm::studio {

namespace {

constexpr double kToastSeconds = 6.0;
constexpr int kMaxToasts = 4;

ImVec4 level_colour(LogLevel l) {
  switch (l) {
    case LogLevel::Error: return ImVec4(1.f, 0.45f, 0.4f, 1.f);
    case LogLevel::Warning: return ImVec4(1.f, 0.78f, 0.35f, 1.f);
    default: return ImVec4(0.8f, 0.85f, 0.9f, 1.f);
  }
}

void toasts(PanelContext& c) {
  const auto now = std::chrono::steady_clock::now();
  std::vector<LogEntry> recent;
  for (const auto& e : c.ctl.log().snapshot()) {
    const double age = std::chrono::duration<double>(now - e.when).count();
    if (age < kToastSeconds && e.level != LogLevel::Info) recent.push_back(e);
  }
  if (recent.size() > static_cast<size_t>(kMaxToasts)) recent.erase(recent.begin(), recent.end() - kMaxToasts);
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  float y = vp->WorkPos.y + vp->WorkSize.y - 12.f * c.scale;
  for (auto it = recent.rbegin(); it != recent.rend(); ++it) {
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + vp->WorkSize.x - 12.f * c.scale, y), ImGuiCond_Always, ImVec2(1.f, 1.f));
    ImGui::SetNextWindowSizeConstraints(ImVec2(0, 0), ImVec2(480.f * c.scale, 200.f * c.scale));
    ImGui::SetNextWindowBgAlpha(0.92f);
    const std::string id = "##toast" + std::to_string(it->id);
    ImGui::Begin(id.c_str(), nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings |
                     ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav);
    ImGui::PushTextWrapPos(460.f * c.scale);
    ImGui::TextColored(level_colour(it->level), "%s", it->level == LogLevel::Error ? "Error" : "Warning");
    ImGui::TextUnformatted(it->text.c_str());
    ImGui::PopTextWrapPos();
    if (ImGui::IsWindowHovered() && ImGui::IsMouseClicked(ImGuiMouseButton_Left)) c.ui.show_log = true;
    y -= ImGui::GetWindowHeight() + 6.f * c.scale;
    ImGui::End();
  }
}

}  // namespace

void draw_log_panel(PanelContext& c) {
  toasts(c);
  if (!c.ui.show_log) return;
  ImGui::SetNextWindowSize(ImVec2(640.f * c.scale, 320.f * c.scale), ImGuiCond_FirstUseEver);
  if (!ImGui::Begin("Log", &c.ui.show_log)) {
    ImGui::End();
    return;
  }
  if (ImGui::SmallButton("Clear")) c.ctl.log().clear();
  ImGui::Separator();
  ImGui::BeginChild("entries");
  for (const auto& e : c.ctl.log().snapshot()) {
    ImGui::PushStyleColor(ImGuiCol_Text, level_colour(e.level));
    ImGui::TextWrapped("%s", e.text.c_str());
    ImGui::PopStyleColor();
  }
  if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - 4.f) ImGui::SetScrollHereY(1.f);
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace ebm::studio
