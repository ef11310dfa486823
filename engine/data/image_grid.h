// Tiling a batch of images into one grid image (for `ebm render` and the trainer's sample grids).
#pragma once

#include <torch/torch.h>

namespace ebm::data {

// images [N,C,H,W] → [C, rows·(H+pad)+pad, cols·(W+pad)+pad] with `cols` images per row (0 = the
// smallest square that fits), separated by `pad` pixels of value `pad_value`. Empty cells stay pad.
torch::Tensor tile_images(const torch::Tensor& images, int64_t cols = 0, int64_t pad = 2, float pad_value = 1.0f);

}  // namespace ebm::data
