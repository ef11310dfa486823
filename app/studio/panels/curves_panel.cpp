// Curves panel: total and per-term energy against the step (batch mean with a min–max band, or the
// selected sample), the gradient norm, or a MALA run's acceptance; drawn with ImDrawList (ImPlot is
// not packaged); hover readouts and a log-scale toggle. Means come from the engine's whole-run curves; bands and
// per-sample values from the snapshots the GUI saw (SampleHistory).
#include "app/studio/curve_math.h"
#include "app/studio/panels/panels.h"

#include <algorithm>
#include <cmath>

namespace ebm::studio {

namespace {

constexpr ImU32 kTotalColour = IM_COL32(235, 235, 240, 255);

ImU32 with_alpha(ImU32 c, int a) { return (c & 0x00ffffffu) | (static_cast<ImU32>(a) << 24); }

std::vector<Series> build_series(PanelContext& c, const Snapshot& s) {
  const CurveSettings& cs = c.ui.curves;
  const SampleHistory& h = c.ctl.history();
  std::vector<Series> out;
  const int sel = c.ctl.selected();
  auto add = [&](const std::string& name, ImU32 colour, int hist_term, const std::vector<float>* means) {
    Series se;
    se.name = name;
    se.color = colour;
    se.visible = !cs.hidden.count(name);
    if (cs.selected_only && sel >= 0) {
      h.column(hist_term, SampleHistory::Stat::Sample, sel, se.x, se.y);
    } else if (means != nullptr && s.curves && !s.curves->steps.empty()) {
      se.x.reserve(s.curves->steps.size());
      for (auto st : s.curves->steps) se.x.push_back(static_cast<double>(st));
      se.y.assign(means->begin(), means->end());
      if (cs.band) {
        h.column(hist_term, SampleHistory::Stat::Min, 0, se.band_x, se.lo);
        h.column(hist_term, SampleHistory::Stat::Max, 0, se.band_x, se.hi);
      }
    } else {
      h.column(hist_term, SampleHistory::Stat::Mean, 0, se.x, se.y);
    }
    out.push_back(std::move(se));
  };
  if (cs.acceptance && s.curves) {
    // Batch means from the engine's curves only (no per-sample history of it); NaN where a step
    // had no accept test (Langevin steps) leaves a gap.
    Series se;
    se.name = "acceptance";
    se.color = kTotalColour;
    se.visible = true;
    for (size_t i = 0; i < s.curves->steps.size() && i < s.curves->acceptance.size(); ++i) {
      se.x.push_back(static_cast<double>(s.curves->steps[i]));
      se.y.push_back(s.curves->acceptance[i]);
    }
    out.push_back(std::move(se));
    return out;
  }
  if (cs.grad_norm) {
    add("|grad|", kTotalColour, -2, s.curves ? &s.curves->grad_norm : nullptr);
    return out;
  }
  add("total", kTotalColour, -1, s.curves ? &s.curves->energy : nullptr);
  for (size_t t = 0; t < h.term_names().size(); ++t) {
    const std::vector<float>* means = nullptr;
    if (s.curves)
      for (const auto& [name, v] : s.curves->terms)
        if (name == h.term_names()[t]) means = &v;
    add(h.term_names()[t], term_colour(static_cast<int>(t)), static_cast<int>(t), means);
  }
  return out;
}

void plot(PanelContext& c, std::vector<Series>& series, ImVec2 size) {
  const CurveSettings& cs = c.ui.curves;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("plot", size);
  const bool hovered = ImGui::IsItemHovered();
  const float left = 64.f * c.scale, bottom = 20.f * c.scale, top = 6.f * c.scale, right = 8.f * c.scale;
  const ImVec2 a(p0.x + left, p0.y + top), b(p0.x + size.x - right, p0.y + size.y - bottom);
  dl->AddRectFilled(a, b, IM_COL32(24, 25, 30, 255));

  const AxisRange xr = x_range(series);
  const AxisRange yr = y_range(series, cs.log_scale);
  auto X = [&](double v) { return a.x + static_cast<float>(xr.to_unit(v)) * (b.x - a.x); };
  auto Y = [&](double v) { return b.y - static_cast<float>(yr.to_unit(v)) * (b.y - a.y); };

  // Grid and tick labels.
  for (double t : nice_ticks(yr, 5)) {
    const float y = Y(t);
    dl->AddLine(ImVec2(a.x, y), ImVec2(b.x, y), IM_COL32(50, 52, 60, 255));
    const std::string txt = format_value(t);
    const ImVec2 ts = ImGui::CalcTextSize(txt.c_str());
    dl->AddText(ImVec2(a.x - ts.x - 4.f, y - ts.y * 0.5f), IM_COL32(170, 172, 180, 255), txt.c_str());
  }
  for (double t : nice_ticks(xr, 6)) {
    const float x = X(t);
    dl->AddLine(ImVec2(x, a.y), ImVec2(x, b.y), IM_COL32(50, 52, 60, 255));
    const std::string txt = format_value(t);
    dl->AddText(ImVec2(x - ImGui::CalcTextSize(txt.c_str()).x * 0.5f, b.y + 2.f), IM_COL32(170, 172, 180, 255), txt.c_str());
  }
  dl->PushClipRect(a, b, true);
  const int max_points = std::max(64, static_cast<int>(b.x - a.x) * 2);
  for (const auto& s : series) {
    if (!s.visible) continue;
    const auto &bx = s.band_x, &lo = s.lo, &hi = s.hi;
    for (size_t i = 0; i + 1 < bx.size() && i + 1 < lo.size() && i + 1 < hi.size(); ++i) {  // band: quads between consecutive published steps
      if (!std::isfinite(lo[i]) || !std::isfinite(hi[i]) || !std::isfinite(lo[i + 1]) || !std::isfinite(hi[i + 1])) continue;
      const ImVec2 q[4] = {ImVec2(X(bx[i]), Y(hi[i])), ImVec2(X(bx[i + 1]), Y(hi[i + 1])), ImVec2(X(bx[i + 1]), Y(lo[i + 1])),
                           ImVec2(X(bx[i]), Y(lo[i]))};
      dl->AddConvexPolyFilled(q, 4, with_alpha(s.color, 50));
    }
    // Line, decimated to about two points per pixel; NaN (inactive term) breaks it.
    const size_t stride = std::max<size_t>(1, s.x.size() / static_cast<size_t>(max_points));
    std::vector<ImVec2> pts;
    auto flush = [&] {
      if (pts.size() >= 2) dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), s.color, 0, 1.6f * c.scale);
      pts.clear();
    };
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); i += stride) {
      if (!std::isfinite(s.y[i]) || (cs.log_scale && s.y[i] <= 0)) {
        flush();
        continue;
      }
      pts.emplace_back(X(s.x[i]), Y(s.y[i]));
    }
    flush();
  }
  dl->PopClipRect();
  dl->AddRect(a, b, IM_COL32(80, 82, 92, 255));

  if (hovered) {
    const float mx = ImGui::GetIO().MousePos.x;
    if (mx >= a.x && mx <= b.x) {
      const double xv = xr.from_unit((mx - a.x) / std::max(b.x - a.x, 1.f));
      dl->AddLine(ImVec2(mx, a.y), ImVec2(mx, b.y), IM_COL32(200, 200, 210, 120));
      ImGui::BeginTooltip();
      bool header = false;
      for (const auto& s : series) {
        if (!s.visible) continue;
        const int i = nearest_index(s.x, xv);
        if (i < 0 || i >= static_cast<int>(s.y.size())) continue;
        if (!header) ImGui::Text("step %lld", static_cast<long long>(s.x[static_cast<size_t>(i)])), header = true;
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(s.color), "%s  %s", s.name.c_str(),
                           std::isfinite(s.y[static_cast<size_t>(i)]) ? format_value(s.y[static_cast<size_t>(i)]).c_str() : "—");
        dl->AddCircleFilled(ImVec2(X(s.x[static_cast<size_t>(i)]), Y(s.y[static_cast<size_t>(i)])), 3.f * c.scale, s.color);
      }
      if (!header) ImGui::TextDisabled("no data here");
      ImGui::EndTooltip();
    }
  }
}

}  // namespace

void draw_curves_panel(PanelContext& c) {
  if (!ImGui::Begin("Curves")) {
    ImGui::End();
    return;
  }
  CurveSettings& cs = c.ui.curves;
  ImGui::Checkbox("log scale", &cs.log_scale);
  ImGui::SameLine();
  ImGui::Checkbox("min-max band", &cs.band);
  ImGui::SameLine();
  ImGui::Checkbox("selected sample", &cs.selected_only);
  ImGui::SameLine();
  if (ImGui::Checkbox("gradient norm", &cs.grad_norm) && cs.grad_norm) cs.acceptance = false;
  const auto& snap = c.ctl.snapshot();
  // MALA and HMC runs (Sampler panel, step rule) record how often a step took its proposal.
  const bool has_acceptance =
      snap && snap->curves &&
      std::any_of(snap->curves->acceptance.begin(), snap->curves->acceptance.end(), [](float v) { return !std::isnan(v); });
  if (has_acceptance) {
    ImGui::SameLine();
    if (ImGui::Checkbox("acceptance", &cs.acceptance) && cs.acceptance) cs.grad_norm = false;
  } else {
    cs.acceptance = false;
  }
  if (!snap || (!snap->curves && c.ctl.history().rows().empty())) {
    ImGui::TextDisabled("No curves yet: they appear while sampling.");
    ImGui::End();
    return;
  }
  if (cs.selected_only && c.ctl.selected() < 0) ImGui::TextDisabled("(select a sample in the grid to see its own curves)");
  std::vector<Series> series = build_series(c, *snap);
  // Legend: click to hide/show a series.
  for (size_t i = 0; i < series.size(); ++i) {
    if (i > 0) ImGui::SameLine();
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(series[i].visible ? series[i].color : IM_COL32(110, 110, 115, 255)));
    if (ImGui::SmallButton(series[i].name.c_str())) {
      if (cs.hidden.count(series[i].name)) cs.hidden.erase(series[i].name);
      else cs.hidden.insert(series[i].name);
      series[i].visible = !series[i].visible;
    }
    ImGui::PopStyleColor();
  }
  if (cs.log_scale) {
    bool any_nonpos = false;
    for (const auto& s : series)
      for (double v : s.y) any_nonpos |= std::isfinite(v) && v <= 0;
    if (any_nonpos) {
      ImGui::SameLine();
      ImGui::TextDisabled("(values <= 0 are not drawn on a log axis)");
    }
  }
  ImVec2 avail = ImGui::GetContentRegionAvail();
  if (avail.x > 50 && avail.y > 50) plot(c, series, avail);
  ImGui::End();
}

}  // namespace ebm::studio
