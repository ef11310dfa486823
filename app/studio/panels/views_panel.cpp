// Views panel: the live sample grid drawn by shaders/grid.frag.glsl into an off-screen target —
// wheel zoom about the cursor, drag to pan, nearest/linear, click to select, double-click to enlarge
// a sample, hover tooltip with the sample's energies — with the terms' masks as coloured overlays,
// and beside it each term's gradient magnitude for the selected sample.
#include "app/studio/curve_math.h"
#include "app/studio/gradient_view.h"
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

// The selected sample's per-term gradient magnitude, one colormapped tile per active term with its
// name, model and gradient norm under it (the maps come from the worker: cmd::InspectSample).
void gradient_maps_view(PanelContext& c, const Snapshot& s, const GradTileLayout& lay, float caption_h) {
  const ViewSettings& vs = c.ui.views;
  const GradientMaps* gm = s.gradient_maps.get();
  if (!gm || gm->sample != c.ctl.selected()) {
    ImGui::TextDisabled("computing gradients...");
    return;
  }
  ImGui::Text("sample %lld, step %lld", static_cast<long long>(gm->sample), static_cast<long long>(gm->step));
  ImGui::TextDisabled("|grad E| %s", format_value(gm->total_norm).c_str());
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Norm of the sum of the maps below (the gradient the next step follows, before noise\n"
                      "and proj_norm); computed in %.0f ms on the engine's thread.", gm->ms);
  if (!gm->error.empty()) {
    ImGui::PushTextWrapPos(0.f);
    ImGui::TextColored(ImVec4(1, 0.45f, 0.4f, 1), "%s", gm->error.c_str());
    ImGui::PopTextWrapPos();
    return;
  }
  if (gm->terms.empty()) {
    ImGui::TextDisabled("no active term");
    return;
  }
  std::vector<float> maxima;
  for (const auto& t : gm->terms)
    maxima.push_back(static_cast<float>(t.max));
  const auto scales = grad_scales(maxima, vs.grad_shared, vs.grad_log);
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  for (size_t i = 0; i < gm->terms.size(); ++i) {
    const auto& t = gm->terms[i];
    if (i % static_cast<size_t>(lay.cols) != 0) ImGui::SameLine(0.f, gap);
    ImGui::BeginGroup();
    const gl::Texture2D* tex = c.gfx.grad_texture(t.name);
    const int tile = std::max(8, static_cast<int>(lay.tile));
    if (tex && tex->valid()) {
      gl::GridDrawParams p;
      p.layout = GridLayout::make(1, tex->width(), tex->height(), 0);
      p.view.fit(p.layout.width(), p.layout.height(), static_cast<float>(tile), static_cast<float>(tile));
      gl::ColormapParams cm;
      cm.lo = scales[i].lo;
      cm.hi = scales[i].hi;
      cm.log_scale = vs.grad_log;
      cm.palette = vs.palette;
      gl::Framebuffer& fbo = c.gfx.grad_fbos[t.name];
      c.gfx.renderer().draw_colormap(fbo, tile, tile, *tex, p, cm);
      const ImVec2 at = ImGui::GetCursorScreenPos();
      c.ui.views.grad_tiles.push_back({at.x, at.y, static_cast<float>(tile), static_cast<float>(tile)});
      ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(fbo.color().id())), ImVec2(static_cast<float>(tile), static_cast<float>(tile)));
      if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::Text("%s (model %s)", t.name.c_str(), t.model.c_str());
        ImGui::Text("weight as applied  %s", format_value(t.coefficient).c_str());
        ImGui::Text("energy  %s", format_value(t.energy).c_str());
        ImGui::Text("|g|  %s   max pixel %s", format_value(t.norm).c_str(), format_value(maxima[i]).c_str());
        ImGui::Text("colour range %s to %s%s", format_value(scales[i].lo).c_str(), format_value(scales[i].hi).c_str(), vs.grad_log ? " (log)" : "");
        ImGui::EndTooltip();
      }
    } else {
      ImGui::Dummy(ImVec2(static_cast<float>(tile), static_cast<float>(tile)));
    }
    int colour = static_cast<int>(i);
    for (size_t k = 0; k < s.term_names.size(); ++k)
      if (s.term_names[k] == t.name) colour = static_cast<int>(k);
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(term_colour(colour)));
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + static_cast<float>(tile));
    ImGui::TextUnformatted(grad_caption(t.name, t.model, t.norm).c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
    ImGui::Dummy(ImVec2(0.f, std::max(0.f, caption_h - 2.f * ImGui::GetTextLineHeightWithSpacing())));
    ImGui::EndGroup();
  }
}

}  // namespace

void draw_views_panel(PanelContext& c) {
  if (!ImGui::Begin("Views", nullptr, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse)) {
    ImGui::End();
    return;
  }
  ViewSettings& vs = c.ui.views;
  vs.grad_tiles.clear();
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
  ImGui::SameLine();
  if (ImGui::Checkbox("gradients", &vs.show_grad)) c.ctl.set_gradient_maps(vs.show_grad);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Beside the grid: how hard each term pulls on each pixel of the selected sample,\n"
                      "|d(w·E_term)/dx| (L2 over the colour channels), recomputed as the chain moves.");
  if (vs.show_grad) {
    ImGui::SameLine();
    ImGui::Checkbox("shared scale", &vs.grad_shared);
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("On: one colour range for every term, so their pulls compare.\nOff: each map scaled to its own maximum.");
    ImGui::SameLine();
    ImGui::Checkbox("log", &vs.grad_log);
  }
  if (c.ctl.selected() >= 0) {
    ImGui::SameLine();
    ImGui::Text("| selected %d", c.ctl.selected());
    ImGui::SameLine();
    if (ImGui::SmallButton("Read concepts"))
      guarded(c.ctl, "read concepts", [&] { c.actions.read_sample(c.ctl.selected()); });
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("Read the selected sample into the composition's concepts (Read panel): the labels its models\n"
                        "find most likely for it. From there: use them, change one, and edit from the image.");
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
  // The selected sample's gradient maps take a column block on the right; the grid keeps the rest.
  const GradientMaps* gm = snap->gradient_maps.get();
  const bool side = vs.show_grad && c.ctl.selected() >= 0;
  const int n_maps = gm && gm->sample == c.ctl.selected() && !gm->terms.empty() ? static_cast<int>(gm->terms.size()) : 1;
  const float caption_h = 2.f * ImGui::GetTextLineHeightWithSpacing() + ImGui::GetStyle().ItemSpacing.y;
  const float header_h = 2.f * ImGui::GetTextLineHeightWithSpacing();
  GradTileLayout lay;
  if (side)
    lay = grad_tile_layout(n_maps, avail.x, avail.y - header_h, caption_h, ImGui::GetStyle().ItemSpacing.x,
                           48.f * c.scale, 256.f * c.scale);
  const float side_w = side ? std::max(lay.side_w, 150.f * c.scale) : 0.f;
  const float grid_w = side ? std::max(16.f, avail.x - side_w - ImGui::GetStyle().ItemSpacing.x) : avail.x;
  grid_view(c, *snap, ImVec2(std::floor(grid_w), std::floor(avail.y)));
  if (side) {
    ImGui::SameLine();
    ImGui::BeginChild("gradient maps", ImVec2(side_w, std::floor(avail.y)));
    gradient_maps_view(c, *snap, lay, caption_h);
    ImGui::EndChild();
  }
  ImGui::End();
}

}  // namespace ebm::studio
