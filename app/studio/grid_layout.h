// Grid layout and view transform of the sample grid: pure arithmetic, no GL, so the tests can check
// the mapping between a mouse position, a pixel of the atlas texture and a sample index.
#pragma once

#include "engine/gpu/atlas.h"

#include <string>
#include <vector>

namespace ebm::studio {

struct Rect {
  float x = 0, y = 0, w = 0, h = 0;
  bool contains(float px, float py) const { return px >= x && py >= y && px < x + w && py < y + h; }
};

// The atlas layout (engine/gpu/atlas.h: cells, columns, padding) with the mapping between atlas
// pixels and samples.
struct GridLayout : gpu::AtlasLayout {
  // Chooses a near-square grid (cols = ceil(sqrt(count))); `cols_hint` > 0 forces the column count.
  static GridLayout make(int count, int cell_w, int cell_h, int pad = 2, int cols_hint = 0);
  Rect cell_rect(int index) const;               // in atlas pixels; empty rect when out of range
  int cell_at(float ax, float ay) const;         // sample under an atlas pixel, -1 on padding/outside
  bool operator==(const GridLayout& o) const {
    return count == o.count && cols == o.cols && rows == o.rows && cell_w == o.cell_w && cell_h == o.cell_h &&
           pad == o.pad;
  }
  bool operator!=(const GridLayout& o) const { return !(*this == o); }
};

// Maps the view rectangle on screen (view_w × view_h pixels) onto the atlas: atlas = pan + screen/zoom.
// zoom = screen pixels per atlas pixel.
struct ViewTransform {
  float zoom = 1.f;
  float pan_x = 0.f, pan_y = 0.f;  // atlas pixel shown at the view's top-left corner
  static constexpr float kMinZoom = 0.05f;
  static constexpr float kMaxZoom = 64.f;

  void screen_to_atlas(float sx, float sy, float& ax, float& ay) const {
    ax = pan_x + sx / zoom;
    ay = pan_y + sy / zoom;
  }
  void atlas_to_screen(float ax, float ay, float& sx, float& sy) const {
    sx = (ax - pan_x) * zoom;
    sy = (ay - pan_y) * zoom;
  }
  // Zooms by `factor` keeping the atlas point under the screen point (sx, sy) fixed (mouse wheel).
  void zoom_at(float sx, float sy, float factor);
  void pan_by_screen(float dx, float dy) {
    pan_x -= dx / zoom;
    pan_y -= dy / zoom;
  }
  // Fits the whole atlas into the view, centred, keeping its aspect ratio.
  void fit(int atlas_w, int atlas_h, float view_w, float view_h);
  // Shows one atlas rectangle (a selected sample) as large as the view allows, centred.
  void fit_rect(const Rect& r, float view_w, float view_h);
};

// Row/column labels for exported grids and the grid view's rulers ("seed 3", "x=0.25").
struct GridLabels {
  std::vector<std::string> rows, cols;
};

}  // namespace ebm::studio
