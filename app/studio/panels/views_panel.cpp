// Views panel: the live sample grid drawn by shaders/grid.frag.glsl into an off-screen target —
// wheel zoom about the cursor, drag to pan, nearest/linear, click to select, double-click to enlarge
// a sample, hover tooltip with the sample's energies — with the terms' masks as coloured overlays,
// and beside it each term's gradient magnitude for the selected sample.
#include "app/studio/curve_math.h"
#include "app/studio/panels/panels.h"

#include <algorithm>
#include <cmath>

namespace ebm::studio {

namespace {

std::array<float, 4> colour4(ImU32 c, float alpha) {
  ImVec4 v = ImGui::ColorConvertU32ToFloat4(c);
  return {v.x, v.y, v.z, alpha};
}

void sample_tooltip(const Snapshot& s, int i) {
  ImGui::BeginTooltip();
  const auto id = i < static_cast<int>(s.sample_ids.size()) ? s.sample_ids[static_cast<size_t>(i)] : i;
  ImGui::Text("sample %d (id %lld), step %lld", i, static_cast<long long>(id), static_cast<long long>(s.step));
  if (i < static_cast<int>(s.energy.size())) ImGui::Text("energy  %s", format_value(s.energy[static_cast<size_t>(i)]).c_str());
  for (size_t t = 0; t < s.term_names.size() && t < s.term_energy.size(); ++t) {
    if (i >= static_cast<int>(s.term_energy[t].size())) continue;
    const float e = s.term_energy[t][static_cast<size_t>(i)];
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(term_colour(static_cast<int>(t))), "  %s  %s", s.term_names[t].c_str(),
                       std::isfinite(e) ? format_value(e).c_str() : "(inactive)");
  }
  if (i < static_cast<int>(s.grad_norm.size())) ImGui::Text("|grad|  %s", format_value(s.grad_norm[static_cast<size_t>(i)]).c_str());
  if (i < static_cast<int>(s.resets.size()) && s.resets[static_cast<size_t>(i)] > 0)
    ImGui::TextColored(ImVec4(1, 0.6f, 0.3f, 1), "re-initialised %lld times after NaN/Inf", static_cast<long long>(s.resets[static_cast<size_t>(i)]));
  ImGui::TextDisabled("click: select, double-click: enlarge");
  ImGui::EndTooltip();
}

void grid_view(PanelContext& c, const Snapshot& s, ImVec2 size) {
  ViewSettings& vs = c.ui.views;
  const GridLayout& layout = c.gfx.layout();
  const int w = std::max(16, static_cast<int>(size.x)), h = std::max(16, static_cast<int>(size.y));
  static GridLayout fitted_layout;
  static ImVec2 fitted_size;
  if (vs.auto_fit && (vs.refit || layout != fitted_layout || size.x != fitted_size.x || size.y != fitted_size.y)) {
    vs.refit = false;
    vs.view.fit(layout.width(), layout.height(), static_cast<float>(w), static_cast<float>(h));
    fitted_layout = layout;
    fitted_size = size;
  }
  gl::GridDrawParams p;
  p.layout = layout;
  p.view = vs.view;
  p.selected = c.ctl.selected();
  p.hovered = vs.hovered;
  c.gfx.images().set_filter(vs.linear ? gl::Filter::Linear : gl::Filter::Nearest);
  c.gfx.renderer().draw_grid(c.gfx.grid_fbo, w, h, c.gfx.images().front(), p);
  if (vs.show_masks) {
    const auto terms = c.ctl.term_paths();
    for (size_t i = 0; i < terms.size(); ++i) {
      const Node* n = c.ctl.node(terms[i]);
      if (const gl::Texture2D* t = c.gfx.mask_texture(n->name))
        c.gfx.renderer().draw_mask_overlay(c.gfx.grid_fbo, *t, p, colour4(term_colour(static_cast<int>(i)), 0.30f), true);
    }
  }
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  vs.area[0] = origin.x;
  vs.area[1] = origin.y;
  vs.area[2] = static_cast<float>(w);
  vs.area[3] = static_cast<float>(h);
  ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(c.gfx.grid_fbo.color().id())), ImVec2(static_cast<float>(w), static_cast<float>(h)));

  // An invisible button over the image owns the mouse, so a drag that starts on the grid pans it
  // (and one that starts elsewhere does not).
  ImGui::SetCursorScreenPos(origin);
  ImGui::InvisibleButton("grid", ImVec2(static_cast<float>(w), static_cast<float>(h)));
  ImGuiIO& io = ImGui::GetIO();
  vs.hovered = -1;
  const bool active = ImGui::IsItemActive();
  if (active && (io.MouseDelta.x != 0.f || io.MouseDelta.y != 0.f) && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 3.f)) {
    vs.view.pan_by_screen(io.MouseDelta.x, io.MouseDelta.y);
    vs.auto_fit = false;
  }
  if (!ImGui::IsItemHovered()) return;
  const float mx = io.MousePos.x - origin.x, my = io.MousePos.y - origin.y;
  float ax, ay;
  vs.view.screen_to_atlas(mx, my, ax, ay);
  vs.hovered = layout.cell_at(ax, ay);
  if (io.MouseWheel != 0.f) {
    vs.view.zoom_at(mx, my, std::pow(1.15f, io.MouseWheel));
    vs.auto_fit = false;
  }
  if (ImGui::IsMouseDragging(ImGuiMouseButton_Middle, 0.f)) {
    vs.view.pan_by_screen(io.MouseDelta.x, io.MouseDelta.y);
    vs.auto_fit = false;
  }
  if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
    if (vs.hovered >= 0) {
      vs.view.fit_rect(layout.cell_rect(vs.hovered), static_cast<float>(w), static_cast<float>(h));
      c.ctl.select(vs.hovered);
      vs.auto_fit = false;
    } else {
      vs.auto_fit = true;
      vs.refit = true;
    }
  } else if (ImGui::IsMouseReleased(ImGuiMouseButton_Left) && ImGui::GetMouseDragDelta(ImGuiMouseButton_Left).x == 0.f &&
             ImGui::GetMouseDragDelta(ImGuiMouseButton_Left).y == 0.f) {
    c.ctl.select(vs.hovered == c.ctl.selected() ? -1 : vs.hovered);
  }
  if (vs.hovered >= 0 && !ImGui::IsMouseDragging(ImGuiMouseButton_Left)) sample_tooltip(s, vs.hovered);
}

}  // namespace

void draw_views_panel(PanelContext& c) {
  if (!ImGui::Begin("Views", nullptr, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse)) {
    ImGui::End();
    return;
  }
  ViewSettings& vs = c.ui.views;
  const auto& snap = c.ctl.snapshot();
  if (ImGui::Button("Fit")) c.actions.fit_view();
  ImGui::SameLine();
  if (ImGui::Button("1:1")) {
    vs.view.zoom = 1.f;
    vs.auto_fit = false;
  }
  ImGui::SameLine();
  ImGui::Checkbox("linear", &vs.linear);
  ImGui::SameLine();
  ImGui::Checkbox("masks", &vs.show_masks);
  ImGui::SameLine();
  ImGui::TextDisabled("zoom %.2fx", vs.view.zoom);
  if (c.ctl.selected() >= 0) {
    ImGui::SameLine();
    ImGui::Text("| selected %d", c.ctl.selected());
  }

  if (!snap || !c.gfx.has_images()) {
    const ImVec2 o = ImGui::GetCursorScreenPos(), a = ImGui::GetContentRegionAvail();
    vs.area[0] = o.x, vs.area[1] = o.y, vs.area[2] = a.x, vs.area[3] = a.y;
    ImGui::Spacing();
    if (c.ctl.models().empty()) ImGui::TextWrapped("Nothing to show: load a model (Models panel) to start sampling.");
    else if (c.ctl.term_paths().empty()) ImGui::TextWrapped("Add a term in the Composition panel to start sampling.");
    else if (c.ctl.loading()) ImGui::TextWrapped("Loading models…");
    else ImGui::TextWrapped("Press Start (Sampler panel) or Space.");
    ImGui::End();
    return;
  }
  ImVec2 avail = ImGui::GetContentRegionAvail();
  grid_view(c, *snap, ImVec2(std::floor(avail.x), std::floor(avail.y)));
  ImGui::End();
}

}  // namespace ebm::studio
