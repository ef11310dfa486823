#include "app/studio/gradient_view.h"

#include "app/studio/curve_math.h"

#include <algorithm>
#include <cmath>

namespace ebm::studio {

GradTileLayout grad_tile_layout(int n, float avail_w, float avail_h, float caption_h, float gap, float min_tile,
                                float max_tile, float max_frac) {
  GradTileLayout out;
  if (n <= 0) return out;
  const float width = std::max(0.f, avail_w * max_frac);
  float best = -1.f;
  for (int cols = 1; cols <= n; ++cols) {
    const int rows = (n + cols - 1) / cols;
    const float by_w = (width - gap * static_cast<float>(cols - 1)) / static_cast<float>(cols);
    const float by_h = (avail_h - static_cast<float>(rows) * caption_h - gap * static_cast<float>(rows - 1)) /
                       static_cast<float>(rows);
    const float t = std::min(by_w, by_h);
    // Strictly larger only: ties keep fewer columns (a narrower block leaves the grid more room).
    if (t > best) {
      best = t;
      out.cols = cols;
    }
  }
  out.tile = std::floor(std::clamp(best, min_tile, std::max(min_tile, max_tile)));
  out.side_w = static_cast<float>(out.cols) * out.tile + gap * static_cast<float>(out.cols - 1);
  return out;
}

std::vector<GradScale> grad_scales(const std::vector<float>& maxima, bool shared, bool log_scale, float decades) {
  constexpr float kTiny = 1e-12f;
  auto top = [](float v) { return std::isfinite(v) && v > kTiny ? v : kTiny; };
  float all = kTiny;
  for (float m : maxima) all = std::max(all, top(m));
  std::vector<GradScale> out;
  for (float m : maxima) {
    GradScale s;
    s.hi = shared ? all : top(m);
    s.lo = log_scale ? s.hi * std::pow(10.f, -std::max(decades, 0.1f)) : 0.f;
    out.push_back(s);
  }
  return out;
}

std::string grad_caption(const std::string& term, const std::string& model, double norm) {
  std::string head = term;
  if (!model.empty() && model != term) head += " · " + model;
  return head + "\n|g| " + format_value(norm);
}

}  // namespace ebm::studio
