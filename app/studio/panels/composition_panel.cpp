// Composition panel: the tree editor. Terms get label widgets built from their model's LabelSchema
// (2-D pad, sliders, swatches, radios: label_widgets.h), a weight slider, enable/solo; And/Or/Not
// nodes get their parameters (Or temperature, Not coefficient). Every edit goes through Controller.
#include "app/studio/label_widgets.h"
#include "app/studio/panels/panels.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ebm::studio {

namespace {

const char* kind_name(NodeKind k) {
  switch (k) {
    case NodeKind::And: return "AND";
    case NodeKind::Or: return "OR";
    case NodeKind::Not: return "NOT";
    default: return "term";
  }
}

// The 2-D position pad: click or drag to place; the dot is the label, crosshairs mark the centre.
bool position_pad(const char* id, float size, const LabelSlot& sx, const LabelSlot& sy, float& x, float& y, ImU32 colour) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton(id, ImVec2(size, size));
  const ImVec2 p1(p0.x + size, p0.y + size);
  dl->AddRectFilled(p0, p1, IM_COL32(32, 34, 40, 255), 4.f);
  for (int i = 1; i < 4; ++i) {
    const float t = size * i / 4.f;
    const ImU32 c = i == 2 ? IM_COL32(90, 95, 110, 255) : IM_COL32(55, 58, 68, 255);
    dl->AddLine(ImVec2(p0.x + t, p0.y), ImVec2(p0.x + t, p1.y), c);
    dl->AddLine(ImVec2(p0.x, p0.y + t), ImVec2(p1.x, p0.y + t), c);
  }
  dl->AddRect(p0, p1, IM_COL32(90, 95, 110, 255), 4.f);
  bool changed = false;
  if (ImGui::IsItemActive() && ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    float nx, ny;
    pad_to_label(m.x - p0.x, m.y - p0.y, size, sx, sy, nx, ny);
    if (nx != x || ny != y) {
      x = nx;
      y = ny;
      changed = true;
    }
  }
  float px, py;
  label_to_pad(x, y, size, sx, sy, px, py);
  dl->AddCircleFilled(ImVec2(p0.x + px, p0.y + py), 6.f, colour);
  dl->AddCircle(ImVec2(p0.x + px, p0.y + py), 7.f, IM_COL32(255, 255, 255, 200), 0, 1.5f);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s = %.3f, %s = %.3f (drag to move)", sx.name.c_str(), x, sy.name.c_str(), y);
  return changed;
}

void label_editor(PanelContext& c, const NodePath& path, const Node& n, const ModelEntry& m, ImU32 colour) {
  const LabelSchema& schema = m.schema;
  if (static_cast<int>(n.label.size()) != schema.size()) {
    ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "label has %zu values, the model wants %d", n.label.size(), schema.size());
    if (ImGui::SmallButton("reset label")) guarded(c.ctl, "reset label", [&] { c.ctl.set_label(path, schema.default_label()); });
    return;
  }
  for (const LabelWidget& w : widgets_for(schema)) {
    switch (w.kind) {
      case WidgetKind::Pad2D: {
        float x = n.label[static_cast<size_t>(w.slots[0])], y = n.label[static_cast<size_t>(w.slots[1])];
        if (position_pad("pad", 150.f * c.scale, schema.slots[static_cast<size_t>(w.slots[0])],
                         schema.slots[static_cast<size_t>(w.slots[1])], x, y, colour)) {
          std::vector<float> l = n.label;
          l[static_cast<size_t>(w.slots[0])] = x;
          l[static_cast<size_t>(w.slots[1])] = y;
          guarded(c.ctl, "set label", [&] { c.ctl.set_label(path, l); });
        }
        ImGui::SameLine();
        ImGui::BeginGroup();
        ImGui::Text("%s %.3f", schema.slots[static_cast<size_t>(w.slots[0])].name.c_str(), x);
        ImGui::Text("%s %.3f", schema.slots[static_cast<size_t>(w.slots[1])].name.c_str(), y);
        ImGui::EndGroup();
        break;
      }
      case WidgetKind::Slider: {
        const int i = w.slots[0];
        const LabelSlot& s = schema.slots[static_cast<size_t>(i)];
        float v = n.label[static_cast<size_t>(i)];
        ImGui::SetNextItemWidth(-60.f * c.scale);
        if (ImGui::SliderFloat(s.name.c_str(), &v, s.min, s.max, "%.3f"))
          guarded(c.ctl, "set label", [&] { c.ctl.set_label_slot(path, i, v); });
        break;
      }
      case WidgetKind::Swatches: {
        const int sel = one_hot_index(n.label);
        const float sw = 20.f * c.scale;
        const int per_row = std::max(1, static_cast<int>(ImGui::GetContentRegionAvail().x / (sw + 6.f * c.scale)));
        for (size_t k = 0; k < w.slots.size(); ++k) {
          const int i = w.slots[k];
          const LabelSlot& s = schema.slots[static_cast<size_t>(i)];
          float rgb[3] = {0.5f, 0.5f, 0.5f};
          parse_rgb(s.rgb, rgb);
          ImGui::PushID(i);
          if (k % static_cast<size_t>(per_row) != 0) ImGui::SameLine();
          const ImVec2 pos = ImGui::GetCursorScreenPos();
          if (ImGui::ColorButton(s.name.c_str(), ImVec4(rgb[0], rgb[1], rgb[2], 1.f), ImGuiColorEditFlags_NoAlpha,
                                 ImVec2(sw, sw)))
            guarded(c.ctl, "set colour", [&] { c.ctl.set_one_hot(path, i); });
          if (i == sel)
            ImGui::GetWindowDrawList()->AddRect(ImVec2(pos.x - 2, pos.y - 2), ImVec2(pos.x + sw + 2, pos.y + sw + 2),
                                                IM_COL32(255, 255, 255, 255), 3.f, 0, 2.f);
          ImGui::PopID();
        }
        if (sel >= 0) ImGui::Text("%s", schema.slots[static_cast<size_t>(sel)].name.c_str());
        break;
      }
      case WidgetKind::Radio: {
        const int sel = one_hot_index(n.label);
        for (size_t k = 0; k < w.slots.size(); ++k) {
          const int i = w.slots[k];
          if (k > 0) ImGui::SameLine();
          if (ImGui::RadioButton(schema.slots[static_cast<size_t>(i)].name.c_str(), sel == i))
            guarded(c.ctl, "set label", [&] { c.ctl.set_one_hot(path, i); });
        }
        break;
      }
    }
  }
}

void add_menu(PanelContext& c, const NodePath& path) {
  if (ImGui::SmallButton("+ term")) ImGui::OpenPopup("add_term");
  ImGui::SameLine();
  if (ImGui::SmallButton("+ op")) ImGui::OpenPopup("add_op");
  if (ImGui::BeginPopup("add_term")) {
    bool any = false;
    for (const auto& m : c.ctl.models()) {
      if (m.state != ModelEntry::State::Ready) continue;
      any = true;
      if (ImGui::MenuItem(m.name.c_str())) guarded(c.ctl, "add term", [&] { c.ctl.add_term(path, m.name); });
    }
    if (!any) ImGui::TextDisabled("no model loaded (see the Models panel)");
    ImGui::EndPopup();
  }
  if (ImGui::BeginPopup("add_op")) {
    if (ImGui::MenuItem("AND (sum of energies)")) guarded(c.ctl, "add AND", [&] { c.ctl.add_operator(path, NodeKind::And); });
    if (ImGui::MenuItem("OR (soft minimum)")) guarded(c.ctl, "add OR", [&] { c.ctl.add_operator(path, NodeKind::Or); });
    if (ImGui::MenuItem("NOT (a minus c*b; needs two children)"))
      guarded(c.ctl, "add NOT", [&] { c.ctl.add_operator(path, NodeKind::Not); });
    ImGui::EndPopup();
  }
}

struct TreeEdit {
  NodePath remove, move;
  int move_delta = 0;
};

void draw_node(PanelContext& c, const Node& n, NodePath& path, int& term_index, TreeEdit& edit, const char* role) {
  ImGui::PushID(static_cast<int>(path.empty() ? -1 : path.back()));
  if (n.kind == NodeKind::Term) {
    const int ti = term_index++;
    const ImU32 colour = term_colour(ti);
    const ModelEntry* m = c.ctl.model(n.model);
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(colour));
    const bool open = ImGui::TreeNodeEx("term", ImGuiTreeNodeFlags_DefaultOpen | ImGuiTreeNodeFlags_AllowItemOverlap,
                                        "%s%s", role, n.name.c_str());
    ImGui::PopStyleColor();
    ImGui::SameLine();
    bool on = n.enabled;
    if (ImGui::Checkbox("on", &on)) guarded(c.ctl, "enable", [&] { c.ctl.set_enabled(path, on); });
    ImGui::SameLine();
    bool solo = n.solo;
    if (ImGui::Checkbox("solo", &solo)) guarded(c.ctl, "solo", [&] { c.ctl.set_solo(path, solo); });
    ImGui::SameLine();
    if (ImGui::SmallButton("^")) edit.move = path, edit.move_delta = -1;
    ImGui::SameLine();
    if (ImGui::SmallButton("v")) edit.move = path, edit.move_delta = 1;
    ImGui::SameLine();
    if (ImGui::SmallButton("x")) edit.remove = path;
    if (open) {
      ImGui::SetNextItemWidth(160.f * c.scale);
      if (ImGui::BeginCombo("model", n.model.c_str())) {
        for (const auto& e : c.ctl.models())
          if (e.state == ModelEntry::State::Ready && ImGui::Selectable(e.name.c_str(), e.name == n.model))
            guarded(c.ctl, "set model", [&] { c.ctl.set_term_model(path, e.name); });
        ImGui::EndCombo();
      }
      float w = static_cast<float>(n.weight);
      ImGui::SetNextItemWidth(-60.f * c.scale);
      if (ImGui::SliderFloat("weight", &w, -2.f, 5.f, "%.3f")) guarded(c.ctl, "set weight", [&] { c.ctl.set_weight(path, w); });
      if (m != nullptr && m->state == ModelEntry::State::Ready && m->info.denoising && m->info.label_size > 0) {
        // Classifier-free guidance: shown only where the model has an unconditional energy to guide from.
        const double by_default = c.ctl.default_guidance(path);
        float g = static_cast<float>(n.guidance.value_or(by_default));
        ImGui::SetNextItemWidth(-60.f * c.scale);
        if (ImGui::SliderFloat("guidance", &g, 0.f, 20.f, "%.1f"))
          guarded(c.ctl, "set guidance", [&] { c.ctl.set_guidance(path, g); });
        if (ImGui::IsItemHovered()) {
          if (by_default != m->info.guidance)
            ImGui::SetTooltip("classifier-free guidance: 1 = the plain conditional energy; higher follows the label "
                              "harder (model default %.1f; %.1f by default here, where three or more terms pull "
                              "around one prior)", m->info.guidance, by_default);
          else
            ImGui::SetTooltip("classifier-free guidance: 1 = the plain conditional energy; higher follows the label "
                              "harder (model default %.1f)", m->info.guidance);
        }
        // Where along the noise ladder the guidance acts; the model's top σ stands for "no upper end".
        const GuidanceInterval iv = n.guidance_interval.value_or(m->info.guidance_interval);
        const float top = static_cast<float>(m->info.sigma_max);
        float lo = static_cast<float>(iv.lo), hi = std::isinf(iv.hi) ? top : static_cast<float>(std::min(iv.hi, m->info.sigma_max));
        ImGui::SetNextItemWidth(-60.f * c.scale);
        if (ImGui::DragFloatRange2("guide at", &lo, &hi, 0.005f, 0.f, top, "from %.3f", hi >= top ? "to %.2f (top)" : "to %.3f",
                                   ImGuiSliderFlags_AlwaysClamp)) {
          GuidanceInterval edited{lo, hi >= top ? std::numeric_limits<double>::infinity() : hi};
          guarded(c.ctl, "set guidance interval", [&] { c.ctl.set_guidance_interval(path, edited); });
        }
        if (ImGui::IsItemHovered())
          ImGui::SetTooltip("the noise levels (sigma) where the guidance acts; elsewhere the term is its plain conditional "
                            "energy (model default %s)", to_string(m->info.guidance_interval).c_str());
      }
      if (m == nullptr) {
        ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "model '%s' is not loaded", n.model.c_str());
      } else if (m->state == ModelEntry::State::Ready) {
        if (m->info.label_size > 0) {
          bool any = n.any_label;
          if (ImGui::Checkbox("any value, per sample", &any))
            guarded(c.ctl, "any label", [&] { c.ctl.set_any_label(path, any); });
          if (ImGui::IsItemHovered())
            ImGui::SetTooltip("each sample draws its own %s from the model's range instead of the label below; on a "
                              "position term: every sample's object put somewhere and held there (the shipped "
                              "size, shape and colour models draw one object far more often so)",
                              m->info.schema.concept_name.empty() ? "label" : m->info.schema.concept_name.c_str());
        }
        if (n.any_label) ImGui::TextDisabled("label: drawn per sample");
        else label_editor(c, path, n, *m, colour);
      } else {
        ImGui::TextDisabled("model %s", m->state == ModelEntry::State::Loading ? "loading…" : "failed to load");
      }
      const MaskImage* mk = c.ctl.mask(n.name);
      if (mk != nullptr) ImGui::Text("mask: %.0f%% of the image", 100.f * mk->coverage());
      else ImGui::TextDisabled("no mask (acts everywhere)");
      ImGui::SameLine();
      if (ImGui::SmallButton("paint mask")) c.ui.masks.term = n.name;
      ImGui::TreePop();
    }
  } else {
    const bool open = ImGui::TreeNodeEx("op", ImGuiTreeNodeFlags_DefaultOpen | ImGuiTreeNodeFlags_AllowItemOverlap, "%s%s",
                                        role, kind_name(n.kind));
    if (!path.empty()) {
      ImGui::SameLine();
      bool on = n.enabled;
      if (ImGui::Checkbox("on", &on)) guarded(c.ctl, "enable", [&] { c.ctl.set_enabled(path, on); });
      ImGui::SameLine();
      if (ImGui::SmallButton("x")) edit.remove = path;
    }
    if (open) {
      add_menu(c, path);
      float w = static_cast<float>(n.weight);
      ImGui::SetNextItemWidth(-60.f * c.scale);
      if (ImGui::SliderFloat("weight", &w, -2.f, 5.f, "%.3f")) guarded(c.ctl, "set weight", [&] { c.ctl.set_weight(path, w); });
      if (n.kind == NodeKind::Or) {
        float t = static_cast<float>(n.temperature);
        ImGui::SetNextItemWidth(-60.f * c.scale);
        if (ImGui::SliderFloat("temp.", &t, 0.1f, 1000.f, "%.1f", ImGuiSliderFlags_Logarithmic))
          guarded(c.ctl, "set temperature", [&] { c.ctl.set_temperature(path, t); });
        help_marker("OR = -logsumexp(-T*E_i)/T: large T picks the lowest energy (the original uses 100).");
      } else if (n.kind == NodeKind::Not) {
        float k = static_cast<float>(n.coefficient);
        ImGui::SetNextItemWidth(-60.f * c.scale);
        if (ImGui::SliderFloat("coef.", &k, 0.0001f, 2.f, "%.4f", ImGuiSliderFlags_Logarithmic))
          guarded(c.ctl, "set coefficient", [&] { c.ctl.set_coefficient(path, k); });
        help_marker("NOT = E_a - c*E_b: the first child is the concept, the second the one to avoid (the original uses c = 0.001).");
      }
      if (n.kind == NodeKind::And || n.kind == NodeKind::Not) {
        bool shared = n.shared_prior;
        if (ImGui::Checkbox("one prior", &shared))
          guarded(c.ctl, "set prior", [&] { c.ctl.set_shared_prior(path, shared); });
        help_marker("Denoising terms: compose their pulls g*(E(x|c) - E(x)) around one prior, the mean of their "
                    "unconditional energies, instead of summing whole energies (which counts the prior once per "
                    "term and draws empty floors).");
      }
      for (size_t i = 0; i < n.children.size(); ++i) {
        path.push_back(static_cast<int>(i));
        const char* child_role = n.kind == NodeKind::Not ? (i == 0 ? "a: " : i == 1 ? "not b: " : "extra: ") : "";
        draw_node(c, n.children[i], path, term_index, edit, child_role);
        path.pop_back();
      }
      if (n.children.empty()) ImGui::TextDisabled("(empty: add a term or an operator)");
      ImGui::TreePop();
    }
  }
  ImGui::PopID();
}

}  // namespace

void draw_composition_panel(PanelContext& c) {
  if (!ImGui::Begin("Composition")) {
    ImGui::End();
    return;
  }
  const Node& root = c.ctl.composition();
  if (!c.ctl.composition_error().empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.f, 0.65f, 0.35f, 1.f));
    ImGui::TextWrapped("Not sampled yet: %s", c.ctl.composition_error().c_str());
    ImGui::PopStyleColor();
  }
  TreeEdit edit;
  NodePath path;
  int term_index = 0;
  draw_node(c, root, path, term_index, edit, "");
  if (!edit.remove.empty()) guarded(c.ctl, "remove", [&] { c.ctl.remove_node(edit.remove); });
  if (!edit.move.empty()) guarded(c.ctl, "move", [&] { c.ctl.move_node(edit.move, edit.move_delta); });
  ImGui::End();
}

}  // namespace ebm::studio
