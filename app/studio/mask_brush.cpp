#include "app/studio/mask_brush.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ebm::studio {

MaskImage::MaskImage(int w, int h, float fill_value) : width(w), height(h) {
  if (w <= 0 || h <= 0 || w > 4096 || h > 4096)
    throw std::invalid_argument("mask size " + std::to_string(w) + "x" + std::to_string(h) + " is outside 1..4096");
  values.assign(static_cast<size_t>(w) * h, std::clamp(fill_value, 0.f, 1.f));
}

void MaskImage::fill(float v) { std::fill(values.begin(), values.end(), std::clamp(v, 0.f, 1.f)); }

void MaskImage::invert() {
  for (float& v : values) v = 1.f - v;
}

float brush_falloff(float d, const Brush& b) {
  const float r = std::max(b.radius, 0.5f);
  if (d >= r) return 0.f;
  const float inner = std::clamp(b.hardness, 0.f, 1.f) * r;
  if (d <= inner) return 1.f;
  const float t = (d - inner) / std::max(r - inner, 1e-6f);  // 0 at the hard core, 1 at the rim
  return 1.f - t * t * (3.f - 2.f * t);                      // smoothstep falloff
}

namespace {
// Applies one dab into `cover` (per-pixel max of the falloff), to be resolved into values later.
void cover_dab(const MaskImage& m, std::vector<float>& cover, float cx, float cy, const Brush& b) {
  const float r = std::max(b.radius, 0.5f);
  const int x0 = std::max(0, static_cast<int>(std::floor(cx - r))), x1 = std::min(m.width - 1, static_cast<int>(std::ceil(cx + r)));
  const int y0 = std::max(0, static_cast<int>(std::floor(cy - r))), y1 = std::min(m.height - 1, static_cast<int>(std::ceil(cy + r)));
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      const float d = std::hypot(x + 0.5f - cx, y + 0.5f - cy);
      float& c = cover[static_cast<size_t>(y) * m.width + x];
      c = std::max(c, brush_falloff(d, b));
    }
}

void resolve(MaskImage& m, const std::vector<float>& cover, const Brush& b) {
  const float target = b.erase ? 0.f : 1.f;
  const float k = std::clamp(b.opacity, 0.f, 1.f);
  for (size_t i = 0; i < m.values.size(); ++i)
    if (cover[i] > 0.f) m.values[i] += (target - m.values[i]) * cover[i] * k;
}
}  // namespace

void MaskImage::dab(float cx, float cy, const Brush& brush) { stroke({cx, cy}, brush); }

void MaskImage::stroke(const std::vector<float>& points, const Brush& brush) {
  if (empty() || points.size() < 2) return;
  if (points.size() % 2 != 0) throw std::invalid_argument("a stroke needs x, y pairs; got an odd number of values");
  std::vector<float> cover(values.size(), 0.f);
  const float spacing = std::max(0.25f * std::max(brush.radius, 0.5f), 0.25f);
  cover_dab(*this, cover, points[0], points[1], brush);
  for (size_t i = 2; i + 1 < points.size(); i += 2) {
    const float ax = points[i - 2], ay = points[i - 1], bx = points[i], by = points[i + 1];
    const float len = std::hypot(bx - ax, by - ay);
    const int n = std::max(1, static_cast<int>(std::ceil(len / spacing)));
    for (int s = 1; s <= n; ++s) {
      const float t = static_cast<float>(s) / n;
      cover_dab(*this, cover, ax + (bx - ax) * t, ay + (by - ay) * t, brush);
    }
  }
  resolve(*this, cover, brush);
}

float MaskImage::coverage() const {
  if (values.empty()) return 0.f;
  size_t on = 0;
  for (float v : values) on += v > 0.5f;
  return static_cast<float>(on) / static_cast<float>(values.size());
}

}  // namespace ebm::studio
