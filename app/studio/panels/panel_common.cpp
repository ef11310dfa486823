#include "app/studio/panels/panels.h"

namespace ebm::studio {

void help_marker(const char* text) {
  ImGui::SameLine();
  ImGui::TextDisabled("(?)");
  if (ImGui::IsItemHovered()) {
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.f);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
  }
}

void section(const char* title) {
  ImGui::Spacing();
  ImGui::TextDisabled("%s", title);
  ImGui::Separator();
}

ImU32 term_colour(int i) {
  // Eight distinguishable hues (Okabe–Ito, colour-blind safe), repeating.
  static const ImU32 kColours[8] = {IM_COL32(230, 159, 0, 255),  IM_COL32(86, 180, 233, 255),
                                    IM_COL32(0, 158, 115, 255),  IM_COL32(240, 228, 66, 255),
                                    IM_COL32(0, 114, 178, 255),  IM_COL32(213, 94, 0, 255),
                                    IM_COL32(204, 121, 167, 255), IM_COL32(200, 200, 200, 255)};
  return kColours[(i % 8 + 8) % 8];
}

void guarded(Controller& ctl, const char* what, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    ctl.log().error(std::string(what) + ": " + e.what());
  }
}

}  // namespace ebm::studio
