// Tiling a batch into the grid atlas that the views draw: float NCHW images → RGBA8 atlas, and
// float per-sample scalar fields (gradient magnitude, attention masks) → R32F atlas. Written with
// tensor ops into a caller-provided tensor on any device, so the host path fills mapped PBO memory
// and a CUDA-GL interop path can fill a mapped CUDA buffer with the same code.
#pragma once

#include "app/studio/grid_layout.h"

#include <torch/torch.h>

#include <array>
#include <cstdint>

namespace ebm::studio {

// images: [B,C,H,W] float in [0,1] (C = 1 or 3; values outside are clamped) with B == layout.count and
// H, W == the layout's cell size. out: uint8 [layout.height(), layout.width(), 4], contiguous.
// Throws std::invalid_argument naming the mismatching dimension.
void fill_rgba_atlas(const torch::Tensor& images, const GridLayout& layout, torch::Tensor& out,
                     std::array<uint8_t, 4> background = {24, 24, 28, 255});

// fields: [B,H,W] float. out: float [layout.height(), layout.width()], contiguous; padding gets
// `background` (pick a value below the colormap's range so it draws as the lowest colour).
void fill_scalar_atlas(const torch::Tensor& fields, const GridLayout& layout, torch::Tensor& out,
                       float background = 0.f);

}  // namespace ebm::studio
