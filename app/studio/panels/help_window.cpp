// F1 help: the shortcuts (from the same table that dispatches them) and where files go.
#include "app/studio/panels/panels.h"
#include "app/studio/shortcuts.h"

namespace ebm::studio {

void draw_help_window(PanelContext& c) {
  if (!c.ui.show_help) return;
  ImGui::SetNextWindowSize(ImVec2(520.f * c.scale, 0.f), ImGuiCond_Appearing);
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + vp->WorkSize.x * 0.5f, vp->WorkPos.y + vp->WorkSize.y * 0.4f), ImGuiCond_Appearing,
                          ImVec2(0.5f, 0.5f));
  if (!ImGui::Begin("Help (F1)", &c.ui.show_help, ImGuiWindowFlags_NoCollapse)) {
    ImGui::End();
    return;
  }
  ImGui::TextUnformatted("Keyboard shortcuts");
  if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
    for (const auto& s : shortcut_table()) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(s.keys);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(s.description);
    }
    ImGui::EndTable();
  }
  ImGui::Spacing();
  ImGui::TextUnformatted("Mouse");
  ImGui::BulletText("Grid: wheel zooms at the cursor, drag pans, click selects, double-click enlarges.");
  ImGui::BulletText("Selected sample: beside the grid, how hard each term pulls on each pixel ('gradients').");
  ImGui::BulletText("Masks canvas: hold the left button to paint (tick 'erase' to erase).");
  ImGui::BulletText("Drop .safetensors/.pt files to load models, a recipe .json or an exported PNG to restore its recipe.");
  ImGui::BulletText("Drop any other picture (PNG, JPEG), or press 'Read concepts' on a selected sample: the Read panel\n"
                    "shows what each concept model reads in it; use those labels, change one, and 'Edit from this image'.");
  ImGui::Spacing();
  ImGui::TextWrapped("Settings, window layout (imgui.ini), presets and the recent-files list live in "
                     "$XDG_CONFIG_HOME/ebm-studio (default ~/.config/ebm-studio).");
  ImGui::End();
}

}  // namespace ebm::studio
