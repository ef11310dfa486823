// Tiling a batch into the grid atlas that the studio's views draw: float NCHW images → RGBA8 atlas,
// and float per-sample scalar fields (gradient magnitude, attention masks) → R32F atlas. Written with
// tensor ops into a caller-provided tensor on any device, so the host path fills mapped PBO memory
// and the CUDA-GL interop path (cuda_gl_buffer.h) fills a mapped GL buffer on the GPU with the same
// code — the same bytes either way.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>

namespace ebm::gpu {

// The atlas: `count` cells of cell_w × cell_h pixels in `cols` columns, `pad` pixels between cells
// and around the border (the background shows through, so sample edges stay visible). The studio's
// GridLayout adds the mouse mapping.
struct AtlasLayout {
  int count = 0, cols = 1, rows = 1;
  int cell_w = 0, cell_h = 0;
  int pad = 2;
  int width() const { return cols * (cell_w + pad) + pad; }
  int height() const { return rows * (cell_h + pad) + pad; }
};

// images: [B,C,H,W] float in [0,1] (C = 1 or 3; values outside are clamped) with B == layout.count and
// H, W == the layout's cell size. out: uint8 [layout.height(), layout.width(), 4], contiguous.
// Throws std::invalid_argument naming the mismatching dimension.
void fill_rgba_atlas(const torch::Tensor& images, const AtlasLayout& layout, torch::Tensor& out,
                     std::array<uint8_t, 4> background = {24, 24, 28, 255});

// fields: [B,H,W] float. out: float [layout.height(), layout.width()], contiguous; padding gets
// `background` (pick a value below the colormap's range so it draws as the lowest colour).
void fill_scalar_atlas(const torch::Tensor& fields, const AtlasLayout& layout, torch::Tensor& out,
                       float background = 0.f);

}  // namespace ebm::gpu
