#include "engine/data/image_grid.h"

#include <cmath>
#include <stdexcept>

namespace ebm::data {

torch::Tensor tile_images(const torch::Tensor& images, int64_t cols, int64_t pad, float pad_value) {
  if (!images.defined() || images.dim() != 4 || images.size(0) < 1)
    throw std::invalid_argument("tile_images expects a non-empty image batch [N,C,H,W]");
  if (pad < 0 || cols < 0) throw std::invalid_argument("tile_images: cols and pad must be >= 0");
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  if (cols == 0) cols = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  const int64_t rows = (n + cols - 1) / cols;
  auto grid = torch::full({c, rows * (h + pad) + pad, cols * (w + pad) + pad}, pad_value, images.options());
  // One narrow-copy per image: a grid of a few hundred images, not a per-pixel loop.
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = i / cols, k = i % cols;
    grid.narrow(1, pad + r * (h + pad), h).narrow(2, pad + k * (w + pad), w).copy_(images[i]);
  }
  return grid;
}

}  // namespace ebm::data
