#include "app/studio/grid_layout.h"

#include <algorithm>
#include <cmath>

namespace ebm::studio {

GridLayout GridLayout::make(int count, int cell_w, int cell_h, int pad, int cols_hint) {
  GridLayout g;
  g.count = std::max(count, 0);
  g.cell_w = std::max(cell_w, 1);
  g.cell_h = std::max(cell_h, 1);
  g.pad = std::max(pad, 0);
  if (cols_hint > 0) g.cols = std::min(cols_hint, std::max(g.count, 1));
  else g.cols = std::max(1, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(g.count)))));
  g.rows = std::max(1, (g.count + g.cols - 1) / g.cols);
  return g;
}

Rect GridLayout::cell_rect(int index) const {
  if (index < 0 || index >= count) return {};
  const int c = index % cols, r = index / cols;
  return {static_cast<float>(pad + c * (cell_w + pad)), static_cast<float>(pad + r * (cell_h + pad)),
          static_cast<float>(cell_w), static_cast<float>(cell_h)};
}

int GridLayout::cell_at(float ax, float ay) const {
  if (ax < pad || ay < pad) return -1;
  const int c = static_cast<int>((ax - pad) / (cell_w + pad));
  const int r = static_cast<int>((ay - pad) / (cell_h + pad));
  if (c >= cols || r >= rows) return -1;
  const int i = r * cols + c;
  if (i >= count) return -1;
  return cell_rect(i).contains(ax, ay) ? i : -1;
}

void ViewTransform::zoom_at(float sx, float sy, float factor) {
  float ax, ay;
  screen_to_atlas(sx, sy, ax, ay);
  zoom = std::clamp(zoom * factor, kMinZoom, kMaxZoom);
  // Keep (ax, ay) under the cursor: sx = (ax - pan) * zoom.
  pan_x = ax - sx / zoom;
  pan_y = ay - sy / zoom;
}

void ViewTransform::fit(int atlas_w, int atlas_h, float view_w, float view_h) {
  fit_rect({0.f, 0.f, static_cast<float>(atlas_w), static_cast<float>(atlas_h)}, view_w, view_h);
}

void ViewTransform::fit_rect(const Rect& r, float view_w, float view_h) {
  if (r.w <= 0 || r.h <= 0 || view_w <= 0 || view_h <= 0) return;
  zoom = std::clamp(std::min(view_w / r.w, view_h / r.h), kMinZoom, kMaxZoom);
  pan_x = r.x + r.w * 0.5f - view_w * 0.5f / zoom;
  pan_y = r.y + r.h * 0.5f - view_h * 0.5f / zoom;
}

}  // namespace ebm::studio
