// Models panel: the loaded models with their config and label schema; open a file by path (or drop
// it on the window); unload.
#include "app/studio/panels/panels.h"

#include <imgui_stdlib.h>

namespace ebm::studio {

namespace {

void draw_schema(const LabelSchema& s) {
  ImGui::Text("concept: %s, %d slot%s", s.concept_name.c_str(), s.size(), s.size() == 1 ? "" : "s");
  if (s.slots.empty()) return;
  if (ImGui::BeginTable("slots", 3, ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingFixedFit)) {
    for (const auto& sl : s.slots) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(sl.name.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(sl.kind == SlotKind::OneHot ? "one-hot" : "continuous");
      ImGui::TableNextColumn();
      if (sl.kind == SlotKind::Continuous) ImGui::Text("[%.2f, %.2f]", sl.min, sl.max);
      else if (!sl.rgb.empty()) ImGui::TextUnformatted(sl.rgb.c_str());
    }
    ImGui::EndTable();
  }
}

}  // namespace

void draw_models_panel(PanelContext& c) {
  if (!ImGui::Begin("Models")) {
    ImGui::End();
    return;
  }
  const auto& models = c.ctl.models();
  if (models.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.f, 0.8f, 0.4f, 1.f));
    ImGui::TextWrapped(
        "No models loaded. The shipped models were not found: not in $EBM_STUDIO_MODELS, not in "
        "share/ebm-studio/models beside this ebm-studio's bin/ directory (an install), not in the source "
        "tree's assets/models. Reinstall ebm-studio, or set EBM_STUDIO_MODELS to a directory of model files; "
        "or open a model file below (safetensors or PyTorch .pt), or drop it onto the window.");
    ImGui::PopStyleColor();
  }
  std::string unload;
  for (const auto& m : models) {
    ImGui::PushID(m.name.c_str());
    const char* badge = m.state == ModelEntry::State::Ready ? "" : m.state == ModelEntry::State::Loading ? " (loading…)" : " (failed)";
    if (m.state == ModelEntry::State::Failed) ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.f, 0.45f, 0.4f, 1.f));
    const bool open = ImGui::TreeNodeEx("model", ImGuiTreeNodeFlags_DefaultOpen * (models.size() <= 3), "%s%s",
                                        m.name.c_str(), badge);
    if (m.state == ModelEntry::State::Failed) ImGui::PopStyleColor();
    ImGui::SameLine(ImGui::GetContentRegionMax().x - 70.f * c.scale);
    if (ImGui::SmallButton("unload")) unload = m.name;
    if (open) {
      if (!m.path.empty()) ImGui::TextDisabled("%s", m.path.c_str());
      if (m.state == ModelEntry::State::Failed) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.f, 0.55f, 0.5f, 1.f));
        ImGui::TextWrapped("%s", m.error.c_str());
        ImGui::PopStyleColor();
      } else if (m.state == ModelEntry::State::Ready) {
        ImGui::TextWrapped("%s", describe(m.config, m.info).c_str());
        ImGui::Text("image %dx%dx%d%s", m.info.image_size, m.info.image_size, m.info.channels,
                    m.info.attention_masks > 0 ? ", learned attention masks" : "");
        if (ImGui::TreeNode("label schema")) {
          draw_schema(m.schema);
          ImGui::TreePop();
        }
        if (ImGui::SmallButton("add as term")) guarded(c.ctl, "add term", [&] { c.ctl.add_term({}, m.name); });
      }
      ImGui::TreePop();
    }
    ImGui::PopID();
  }
  if (!unload.empty()) c.ctl.unload_model(unload);

  ImGui::Separator();
  ImGui::TextUnformatted("Open a model file");
  ImGui::SetNextItemWidth(-80.f * c.scale);
  const bool enter = ImGui::InputTextWithHint("##path", "/path/to/model.safetensors", &c.ui.model_path_field,
                                              ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if ((ImGui::Button("Open") || enter) && !c.ui.model_path_field.empty()) {
    c.ctl.open_model(c.ui.model_path_field);
    c.ui.model_path_field.clear();
  }
  ImGui::TextDisabled("…or drop .safetensors / .pt files onto the window.");
  ImGui::End();
}

}  // namespace ebm::studio
