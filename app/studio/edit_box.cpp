#include "app/studio/edit_box.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace ebm::studio {

EditBox EditBox::normalized() const {
  auto c = [](float v) { return std::clamp(v, 0.f, 1.f); };
  return {c(std::min(x0, x1)), c(std::min(y0, y1)), c(std::max(x0, x1)), c(std::max(y0, y1))};
}

namespace {

// The pixels whose centres lie in [lo, hi) of a side of n pixels: [first, end).
std::pair<std::int64_t, std::int64_t> pixel_span(float lo, float hi, std::int64_t n) {
  auto first = static_cast<std::int64_t>(std::ceil(lo * static_cast<double>(n) - 0.5));
  auto end = static_cast<std::int64_t>(std::ceil(hi * static_cast<double>(n) - 0.5));
  return {std::clamp<std::int64_t>(first, 0, n), std::clamp<std::int64_t>(end, 0, n)};
}

}  // namespace

bool EditBox::covers_a_pixel(std::int64_t side) const {
  const EditBox b = normalized();
  const auto [xa, xb] = pixel_span(b.x0, b.x1, side);
  const auto [ya, yb] = pixel_span(b.y0, b.y1, side);
  return xb > xa && yb > ya;
}

std::string EditBox::describe() const {
  const EditBox b = normalized();
  char s[64];
  std::snprintf(s, sizeof s, "x %.2f-%.2f, y %.2f-%.2f", b.x0, b.x1, b.y0, b.y1);
  return s;
}

torch::Tensor region_of_box(const EditBox& box, std::int64_t height, std::int64_t width) {
  const EditBox b = box.normalized();
  const auto [xa, xb] = pixel_span(b.x0, b.x1, width);
  const auto [ya, yb] = pixel_span(b.y0, b.y1, height);
  if (xb <= xa || yb <= ya)
    throw std::invalid_argument("the edit box (" + b.describe() + ") covers no pixel of the " + std::to_string(width) + "x" +
                                std::to_string(height) + " image; drag a larger box, or edit the whole image");
  auto r = torch::zeros({1, height, width});
  r.slice(1, ya, yb).slice(2, xa, xb).fill_(1.0f);
  return r;
}

}  // namespace ebm::studio
