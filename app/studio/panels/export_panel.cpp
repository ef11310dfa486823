// Export panel: grid PNG (with row/column labels), every sample as its own PNG, or the kept steps as
// a numbered PNG sequence; every PNG carries the recipe (drop one on the window to restore it).
#include "app/studio/panels/panels.h"

#include <imgui_stdlib.h>

#include <filesystem>

namespace ebm::studio {

void draw_export_panel(PanelContext& c) {
  if (!ImGui::Begin("Export")) {
    ImGui::End();
    return;
  }
  ExportSettings& e = c.ui.exports;
  ImGui::PushItemWidth(-90.f * c.scale);
  ImGui::InputText("folder", &e.dir);
  ImGui::InputText("name", &e.name);
  const char* kinds[] = {"grid PNG", "each sample (PNG per sample)", "step sequence (numbered PNGs)"};
  ImGui::Combo("what", &e.kind, kinds, 3);
  ImGui::PopItemWidth();
  if (e.kind != 1) ImGui::Checkbox("row/column labels", &e.labels);
  std::filesystem::path stem = std::filesystem::path(e.dir) / (e.name.empty() ? "export" : e.name);
  switch (e.kind) {
    case 0: ImGui::TextDisabled("writes %s.png", stem.string().c_str()); break;
    case 1: ImGui::TextDisabled("writes %s_<sample id>.png", stem.string().c_str()); break;
    default: ImGui::TextDisabled("writes %s_<step>.png for every kept step", stem.string().c_str()); break;
  }
  const auto& s = c.ctl.snapshot();
  const bool can = s && s->images.defined();
  if (!can) ImGui::BeginDisabled();
  if (ImGui::Button("Export (Ctrl+E)")) c.actions.export_now();
  if (!can) ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button("Screenshot")) c.actions.screenshot("");
  help_marker("Every PNG carries the recipe (models with their SHA-256, composition, labels, masks, sampler settings, "
              "seed) in an 'ebm-recipe' text chunk: drop it on the window, or run `ebm sample --recipe file.png`, to "
              "reproduce it.");
  // The latest export result, from the engine's events.
  if (s) {
    for (auto it = s->events.rbegin(); it != s->events.rend(); ++it) {
      if (it->kind != Event::Kind::Exported) continue;
      ImGui::TextWrapped("last: %s", it->message.c_str());
      break;
    }
  }
  ImGui::End();
}

}  // namespace ebm::studio
