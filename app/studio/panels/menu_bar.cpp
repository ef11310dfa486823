// The main menu bar and the preset open/save dialogs (path fields: Debian ships no native file
// dialog library for GLFW; presets default to the XDG presets directory).
#include "app/studio/panels/panels.h"

#include <imgui_stdlib.h>

#include <algorithm>
#include <filesystem>

namespace ebm::studio {

namespace {

std::vector<std::string> list_presets(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// An example's menu entry: its file name without .json, '_' as spaces ("color and position").
std::string example_title(const std::string& path) {
  std::string t = std::filesystem::path(path).stem().string();
  std::replace(t.begin(), t.end(), '_', ' ');
  return t;
}

void preset_dialogs(PanelContext& c) {
  if (c.ui.open_preset_popup) {
    ImGui::OpenPopup("Open preset");
    c.ui.open_preset_popup = false;
  }
  if (c.ui.save_preset_popup) {
    ImGui::OpenPopup("Save preset");
    if (c.ui.preset_path_field.empty()) c.ui.preset_path_field = (std::filesystem::path(c.presets_dir) / "my_composition.json").string();
    c.ui.save_preset_popup = false;
  }
  ImGui::SetNextWindowSize(ImVec2(560.f * c.scale, 0.f), ImGuiCond_Appearing);
  if (ImGui::BeginPopupModal("Open preset", nullptr)) {
    ImGui::TextUnformatted("A recipe JSON (preset) or a PNG exported by the studio:");
    ImGui::SetNextItemWidth(-1.f);
    const bool enter = ImGui::InputText("##open", &c.ui.preset_path_field, ImGuiInputTextFlags_EnterReturnsTrue);
    const auto presets = list_presets(c.presets_dir);
    if (!presets.empty()) {
      ImGui::TextDisabled("in %s:", c.presets_dir.c_str());
      for (const auto& p : presets)
        if (ImGui::Selectable(std::filesystem::path(p).filename().c_str(), p == c.ui.preset_path_field)) c.ui.preset_path_field = p;
    }
    if ((ImGui::Button("Open") || enter) && !c.ui.preset_path_field.empty()) {
      c.actions.open_preset(c.ui.preset_path_field);
      ImGui::CloseCurrentPopup();
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
  }
  ImGui::SetNextWindowSize(ImVec2(560.f * c.scale, 0.f), ImGuiCond_Appearing);
  if (ImGui::BeginPopupModal("Save preset", nullptr)) {
    ImGui::TextUnformatted("Save the current recipe (composition, labels, masks, sampler settings) as:");
    ImGui::SetNextItemWidth(-1.f);
    const bool enter = ImGui::InputText("##save", &c.ui.preset_path_field, ImGuiInputTextFlags_EnterReturnsTrue);
    if ((ImGui::Button("Save") || enter) && !c.ui.preset_path_field.empty()) {
      c.actions.save_preset(c.ui.preset_path_field);
      ImGui::CloseCurrentPopup();
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
  }
}

}  // namespace

void draw_menu_bar(PanelContext& c) {
  if (ImGui::BeginMainMenuBar()) {
    if (ImGui::BeginMenu("File")) {
      if (ImGui::MenuItem("Open preset…", "Ctrl+O")) c.ui.open_preset_popup = true;
      // The shipped example recipes (<prefix>/share/ebm-studio/recipes): every model-card composition,
      // four concepts, a masked one. Greyed out when none were found.
      if (ImGui::BeginMenu("Open example", c.examples && !c.examples->empty())) {
        for (const auto& e : *c.examples)
          if (ImGui::MenuItem(example_title(e).c_str())) c.actions.open_preset(e);
        ImGui::EndMenu();
      }
      if (ImGui::MenuItem("Save preset…", "Ctrl+S")) c.ui.save_preset_popup = true;
      if (ImGui::BeginMenu("Recent", c.recent && !c.recent->empty())) {
        for (const auto& r : *c.recent) {
          if (!ImGui::MenuItem(r.c_str())) continue;
          const auto ext = std::filesystem::path(r).extension().string();
          if (ext == ".json" || ext == ".png") c.actions.open_preset(r);
          else c.ctl.open_model(r);
        }
        ImGui::EndMenu();
      }
      ImGui::Separator();
      if (ImGui::MenuItem("Export", "Ctrl+E")) c.actions.export_now();
      if (ImGui::MenuItem("Screenshot")) c.actions.screenshot("");
      ImGui::Separator();
      if (ImGui::MenuItem("Quit", "Ctrl+Q")) c.actions.quit();
      ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Run")) {
      if (ImGui::MenuItem("Start / pause / resume", "Space")) c.ctl.toggle_pause();
      if (ImGui::MenuItem("Step", "S")) c.ctl.step(1);
      if (ImGui::MenuItem("Restart", "R")) c.ctl.restart(false);
      if (ImGui::MenuItem("Restart with a new seed", "Shift+R")) c.ctl.restart(true);
      if (ImGui::MenuItem("Cancel")) c.ctl.cancel();
      ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("View")) {
      if (ImGui::MenuItem("Fit grid", "F")) c.actions.fit_view();
      ImGui::MenuItem("Perf overlay", nullptr, &c.ui.show_perf);
      ImGui::MenuItem("Log", nullptr, &c.ui.show_log);
      ImGui::MenuItem("Read (image into concepts)", nullptr, &c.ui.read.show);
      ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Help")) {
      ImGui::MenuItem("Shortcuts and help", "F1", &c.ui.show_help);
      ImGui::EndMenu();
    }
    // Status at the right of the bar: errors so far (click opens the log).
    const size_t errors = c.ctl.log().error_count();
    if (errors > 0) {
      ImGui::SameLine(ImGui::GetWindowWidth() - 420.f * c.scale);
      ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.f, 0.5f, 0.45f, 1.f));
      if (ImGui::SmallButton((std::to_string(errors) + (errors == 1 ? " error" : " errors")).c_str())) c.ui.show_log = true;
      ImGui::PopStyleColor();
    }
    ImGui::EndMainMenuBar();
  }
  preset_dialogs(c);
}

}  // namespace ebm::studio
