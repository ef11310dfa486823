// Painting a term's spatial mask (H×W floats in [0,1]; 1 = the term acts there). Pure logic shared
// by the Masks panel's mouse handling and the script's "paint mask stroke" action.
#pragma once

#include <cstddef>
#include <vector>

namespace ebm::studio {

struct Brush {
  float radius = 8.f;     // in mask pixels
  float hardness = 0.7f;  // 1: hard edge; 0: the whole disc falls off smoothly from the centre
  bool erase = false;     // paint towards 0 instead of 1
  float opacity = 1.f;    // how far one dab moves a pixel towards its target
};

struct MaskImage {
  int width = 0, height = 0;
  std::vector<float> values;  // row-major, height × width

  MaskImage() = default;
  MaskImage(int w, int h, float fill_value = 1.f);
  float at(int x, int y) const { return values[static_cast<std::size_t>(y) * width + x]; }
  bool empty() const { return values.empty(); }

  void fill(float v);
  void clear() { fill(0.f); }
  void invert();
  // One dab of `brush` centred on (cx, cy) in mask pixels (pixel centres at +0.5).
  void dab(float cx, float cy, const Brush& brush);
  // A stroke through `points` (x0, y0, x1, y1, …): dabs spaced a quarter radius apart, so fast mouse
  // motion leaves a continuous line. Each pixel moves towards the target at most once per stroke
  // segment's worth of coverage (max, not sum), so overlapping dabs do not over-darken soft brushes.
  void stroke(const std::vector<float>& points, const Brush& brush);
  // Fraction of pixels above 0.5 (shown next to the mask; 0 warns that the term is switched off).
  float coverage() const;
};

// Brush falloff at distance d from the centre: 1 inside hardness*radius, smooth to 0 at radius.
float brush_falloff(float d, const Brush& brush);

}  // namespace ebm::studio
