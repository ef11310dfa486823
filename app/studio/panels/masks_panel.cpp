// Masks panel: paint a term's spatial mask over the current sample (brush size, hardness, opacity,
// erase; clear, fill, invert, remove), and watch the learned attention masks of comb_mask models,
// step by step, through a colormap.
#include "app/studio/panels/panels.h"

#include <algorithm>
#include <cmath>

namespace ebm::studio {

namespace {

void paint_canvas(PanelContext& c, const std::string& term, int term_index) {
  MaskTool& mt = c.ui.masks;
  const GridLayout& layout = c.gfx.layout();
  const int sample = c.ctl.selected() >= 0 ? c.ctl.selected() : 0;
  const float side = std::floor(std::min(ImGui::GetContentRegionAvail().x, 320.f * c.scale));
  if (side < 32.f) return;
  gl::GridDrawParams p;
  p.layout = layout;
  p.view.fit_rect(layout.cell_rect(sample), side, side);
  c.gfx.renderer().draw_grid(c.gfx.canvas_fbo, static_cast<int>(side), static_cast<int>(side), c.gfx.images().front(), p);
  if (const gl::Texture2D* t = c.gfx.mask_texture(term)) {
    ImVec4 col = ImGui::ColorConvertU32ToFloat4(term_colour(term_index));
    c.gfx.renderer().draw_mask_overlay(c.gfx.canvas_fbo, *t, p, {col.x, col.y, col.z, 0.45f}, true);
  }
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(c.gfx.canvas_fbo.color().id())), ImVec2(side, side));
  // An invisible button over the image owns the mouse: a stroke is the time it is held down, and a
  // drag that started elsewhere (a slider) never paints.
  ImGui::SetCursorScreenPos(origin);
  ImGui::InvisibleButton("canvas", ImVec2(side, side));
  const bool hovered = ImGui::IsItemHovered();
  const bool active = ImGui::IsItemActive();
  // Mouse → mask pixels: canvas pixels → atlas pixels → inside the sample's cell (mask = cell size).
  const Rect cell = layout.cell_rect(sample);
  ImGuiIO& io = ImGui::GetIO();
  float ax, ay;
  p.view.screen_to_atlas(io.MousePos.x - origin.x, io.MousePos.y - origin.y, ax, ay);
  const int mask_size = c.ctl.image_size();
  const float mx = (ax - cell.x) * mask_size / std::max(cell.w, 1.f);
  const float my = (ay - cell.y) * mask_size / std::max(cell.h, 1.f);
  if (hovered || active) {
    // Brush outline at its size on screen.
    const float r_screen = mt.brush.radius * p.view.zoom * cell.w / mask_size;
    ImGui::GetWindowDrawList()->AddCircle(io.MousePos, r_screen, IM_COL32(255, 255, 255, 180), 0, 1.5f);
    if (mt.brush.hardness < 1.f)
      ImGui::GetWindowDrawList()->AddCircle(io.MousePos, r_screen * mt.brush.hardness, IM_COL32(255, 255, 255, 90));
  }
  if (active) {
    // Paint this frame's segment; the previous point keeps the line continuous across frames. Only
    // new mouse positions paint, so holding still does not keep darkening a soft brush.
    const bool moved = mt.stroke.size() < 2 || mt.stroke[mt.stroke.size() - 2] != mx || mt.stroke.back() != my;
    if (moved) {
      std::vector<float> seg;
      if (mt.stroke.size() >= 2) seg = {mt.stroke[mt.stroke.size() - 2], mt.stroke.back()};
      seg.push_back(mx);
      seg.push_back(my);
      mt.stroke.push_back(mx);
      mt.stroke.push_back(my);
      guarded(c.ctl, "paint mask", [&] { c.ctl.paint_mask(term, seg, mt.brush); });
    }
  } else {
    mt.stroke.clear();
  }
  ImGui::TextDisabled("sample %d; %s", sample, c.ctl.selected() >= 0 ? "select another in the grid" : "click a sample in the grid to paint over it");
}

void attention_view(PanelContext& c) {
  MaskTool& mt = c.ui.masks;
  const auto& snap = c.ctl.snapshot();
  if (!snap || snap->masks.empty()) {
    ImGui::TextDisabled("No learned attention masks (only comb_mask models have them).");
    return;
  }
  if (mt.attention_term.empty() || std::none_of(snap->masks.begin(), snap->masks.end(), [&](const auto& m) { return m.first == mt.attention_term; }))
    mt.attention_term = snap->masks.front().first;
  ImGui::SetNextItemWidth(150.f * c.scale);
  if (ImGui::BeginCombo("term##att", mt.attention_term.c_str())) {
    for (const auto& [name, m] : snap->masks)
      if (ImGui::Selectable(name.c_str(), name == mt.attention_term)) mt.attention_term = name;
    ImGui::EndCombo();
  }
  int kmax = 1;
  for (const auto& [name, m] : snap->masks)
    if (name == mt.attention_term && m.defined() && m.dim() == 4) kmax = static_cast<int>(m.size(1));
  ImGui::SameLine();
  ImGui::SetNextItemWidth(100.f * c.scale);
  ImGui::SliderInt("mask k", &mt.attention_k, 0, std::max(0, kmax - 1));
  if (!c.gfx.has_attention()) return;
  const float wdt = std::floor(ImGui::GetContentRegionAvail().x);
  const GridLayout& lay = c.gfx.attention().layout();
  const float hgt = std::floor(wdt * lay.height() / std::max(lay.width(), 1));
  gl::GridDrawParams p;
  p.layout = lay;
  p.view.fit(lay.width(), lay.height(), wdt, hgt);
  gl::ColormapParams cm;
  cm.lo = 0.f;
  cm.hi = 1.f;
  cm.palette = 0;
  c.gfx.renderer().draw_colormap(c.gfx.attention_fbo, static_cast<int>(wdt), static_cast<int>(hgt), c.gfx.attention().front(), p, cm);
  ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(c.gfx.attention_fbo.color().id())), ImVec2(wdt, hgt));
  ImGui::TextDisabled("softmax over the K masks, 0 (dark) … 1 (yellow), step %lld", static_cast<long long>(snap->step));
}

}  // namespace

void draw_masks_panel(PanelContext& c) {
  if (!ImGui::Begin("Masks")) {
    ImGui::End();
    return;
  }
  MaskTool& mt = c.ui.masks;
  const auto terms = c.ctl.term_paths();
  int term_index = -1;
  for (size_t i = 0; i < terms.size(); ++i)
    if (c.ctl.node(terms[i])->name == mt.term) term_index = static_cast<int>(i);
  if (term_index < 0) mt.term = terms.empty() ? "" : c.ctl.node(terms.front())->name, term_index = terms.empty() ? -1 : 0;

  if (terms.empty()) {
    ImGui::TextDisabled("No terms: add one in the Composition panel.");
  } else {
    ImGui::SetNextItemWidth(180.f * c.scale);
    if (ImGui::BeginCombo("term", mt.term.c_str())) {
      for (size_t i = 0; i < terms.size(); ++i) {
        const std::string& name = c.ctl.node(terms[i])->name;
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(term_colour(static_cast<int>(i))));
        if (ImGui::Selectable(name.c_str(), name == mt.term)) mt.term = name;
        ImGui::PopStyleColor();
      }
      ImGui::EndCombo();
    }
    const MaskImage* m = c.ctl.mask(mt.term);
    ImGui::SameLine();
    if (m) ImGui::Text("%.0f%% on", 100.f * m->coverage());
    else ImGui::TextDisabled("no mask");
    ImGui::PushItemWidth(-90.f * c.scale);
    ImGui::SliderFloat("brush size", &mt.brush.radius, 1.f, 32.f, "%.1f px");
    ImGui::SliderFloat("hardness", &mt.brush.hardness, 0.f, 1.f, "%.2f");
    ImGui::SliderFloat("opacity", &mt.brush.opacity, 0.05f, 1.f, "%.2f");
    ImGui::PopItemWidth();
    ImGui::Checkbox("erase", &mt.brush.erase);
    ImGui::SameLine();
    if (ImGui::Button("Clear")) guarded(c.ctl, "clear mask", [&] { c.ctl.mask_op(mt.term, MaskOp::Clear); });
    ImGui::SameLine();
    if (ImGui::Button("Fill")) guarded(c.ctl, "fill mask", [&] { c.ctl.mask_op(mt.term, MaskOp::Fill); });
    ImGui::SameLine();
    if (ImGui::Button("Invert")) guarded(c.ctl, "invert mask", [&] { c.ctl.mask_op(mt.term, MaskOp::Invert); });
    ImGui::SameLine();
    if (ImGui::Button("Remove")) guarded(c.ctl, "remove mask", [&] { c.ctl.mask_op(mt.term, MaskOp::Remove); });
    help_marker("A term's mask limits where it pulls on the pixels: its gradient is multiplied by the mask. "
                "Paint where the concept should act; erase where it should not. No mask = everywhere.");
    if (c.gfx.has_images()) paint_canvas(c, mt.term, term_index);
    else ImGui::TextDisabled("(the canvas appears once samples exist)");
  }
  section("learned attention masks");
  attention_view(c);
  ImGui::End();
}

}  // namespace ebm::studio
