#include "engine/gpu/atlas.h"

#ifdef EBM_HAVE_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace ebm::gpu {

namespace {

void check_out(const torch::Tensor& out, const AtlasLayout& layout, torch::ScalarType type, int channels) {
  const bool shape_ok = channels == 0 ? (out.dim() == 2) : (out.dim() == 3 && out.size(2) == channels);
  if (!out.defined() || !shape_ok || out.size(0) != layout.height() || out.size(1) != layout.width() ||
      out.scalar_type() != type || !out.is_contiguous())
    throw std::invalid_argument("atlas output tensor must be contiguous " + std::string(c10::toString(type)) +
                                " [" + std::to_string(layout.height()) + ", " + std::to_string(layout.width()) +
                                (channels ? ", 4]" : "]"));
}

// The cells of the atlas `out` (uint8 [Ht, Wt, 4] or float [Ht, Wt]) as a view [rows, cols, H, W(, 4)]:
// the interior split into the grid's rows and columns, each cell without its padding.
torch::Tensor cell_grid(torch::Tensor& out, const AtlasLayout& g) {
  const int64_t H = g.cell_h, W = g.cell_w, P = g.pad;
  const bool rgba = out.dim() == 3;
  torch::Tensor interior = out.narrow(0, P, g.rows * (H + P)).narrow(1, P, g.cols * (W + P));
  std::vector<int64_t> split = {g.rows, H + P, g.cols, W + P};
  std::vector<int64_t> perm = {0, 2, 1, 3};
  if (rgba) split.push_back(4), perm.push_back(4);
  return interior.view(split).permute(perm).narrow(2, 0, H).narrow(3, 0, W);
}

// Writes `cells` [B, H, W] or [B, C, H, W] (C channels into the first C of each pixel) into their
// places in the atlas: the full rows of the grid in one strided copy, a last partial row in a second
// (no padded intermediate: the atlas's kernels are what a small-batch preview costs).
void write_cells(const torch::Tensor& cells, const AtlasLayout& g, torch::Tensor& out) {
  const bool channels = cells.dim() == 4;
  torch::Tensor grid = cell_grid(out, g);
  if (channels) grid = grid.narrow(4, 0, cells.size(1));
  auto as_pixels = [&](torch::Tensor t) { return channels ? t.movedim(-3, -1) : t; };  // C,H,W → H,W,C
  const int64_t B = cells.size(0), full = B / g.cols, rest = B % g.cols;
  if (full > 0) {
    std::vector<int64_t> shape = cells.sizes().vec();
    shape[0] = g.cols;
    shape.insert(shape.begin(), full);
    grid.narrow(0, 0, full).copy_(as_pixels(cells.narrow(0, 0, full * g.cols).view(shape)));
  }
  if (rest > 0) grid.select(0, full).narrow(0, 0, rest).copy_(as_pixels(cells.narrow(0, full * g.cols, rest)));
}

#ifdef EBM_HAVE_CUDA
// A GPU batch into a host atlas (the preview path when CUDA-GL interop is not available): converted
// and tiled on the GPU, so a quarter of the bytes (uint8, not float) cross the bus, on a
// high-priority stream of its own that waits only for the batch's producer, then copied through
// pinned memory; only that stream is waited for. The plain tensor.to(kCPU) copied floats into
// pageable memory on the calling thread's default stream: measured on an H200 that preview took
// ~95–100 ms at batch 64 and 256 while a session sampled (docs/gpu.md).
void fill_host_atlas_from_gpu(const torch::Tensor& images, const AtlasLayout& layout, torch::Tensor& out,
                              std::array<uint8_t, 4> background) {
  const c10::DeviceIndex dev = images.device().index();
  c10::cuda::CUDAGuard device_guard(dev);
  c10::cuda::CUDAStream producer = c10::cuda::getCurrentCUDAStream(dev);
  c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool(/*isHighPriority=*/true, dev);
  at::cuda::CUDAEvent ready;
  ready.record(producer);
  ready.block(side);
  c10::cuda::CUDAStreamGuard stream_guard(side);
  torch::Tensor on_gpu = torch::empty(out.sizes(), torch::TensorOptions().dtype(torch::kUInt8).device(images.device()));
  fill_rgba_atlas(images, layout, on_gpu, background);
  torch::Tensor pinned = torch::empty(out.sizes(), torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(true));
  pinned.copy_(on_gpu, /*non_blocking=*/true);
  side.synchronize();  // the batch was read on `side` too: nothing of it is pending after this
  out.copy_(pinned);
}
#endif

}  // namespace

void fill_rgba_atlas(const torch::Tensor& images, const AtlasLayout& layout, torch::Tensor& out,
                     std::array<uint8_t, 4> background) {
  check_out(out, layout, torch::kUInt8, 4);
  if (images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3))
    throw std::invalid_argument("images must be [B, 1 or 3, H, W], got " + std::to_string(images.dim()) + " dims");
  if (images.size(0) != layout.count || images.size(2) != layout.cell_h || images.size(3) != layout.cell_w)
    throw std::invalid_argument("images [" + std::to_string(images.size(0)) + ", _, " + std::to_string(images.size(2)) +
                                ", " + std::to_string(images.size(3)) + "] do not match the grid layout (" +
                                std::to_string(layout.count) + " cells of " + std::to_string(layout.cell_h) + "x" +
                                std::to_string(layout.cell_w) + ")");
  torch::NoGradGuard no_grad;
#ifdef EBM_HAVE_CUDA
  if (images.is_cuda() && !out.is_cuda() && layout.count > 0) return fill_host_atlas_from_gpu(images, layout, out, background);
#endif
  // The background in one fill, with no host-to-device copy: each RGBA pixel as one 32-bit word.
  std::int32_t word = 0;
  std::memcpy(&word, background.data(), sizeof word);
  out.view(torch::kInt).fill_(word);
  if (layout.count == 0) return;
  // Rounded like Snapshot::host_rgba8 (and so PNG export): the view shows exactly the exported bytes
  // (255·clamp(x, 0, 1) and clamp(255·x, 0, 255) are the same floats).
  torch::Tensor v = images.detach().to(out.device(), torch::kFloat).mul(255.f).clamp_(0.f, 255.f).round_();
  if (v.size(1) == 1) v = v.expand({-1, 3, -1, -1});
  write_cells(v, layout, out);  // float → uint8 in the copy: the values are whole numbers in [0, 255]
  if (background[3] != 255) {
    torch::Tensor grid = cell_grid(out, layout);  // cells are opaque whatever the background
    const int64_t full = layout.count / layout.cols, rest = layout.count % layout.cols;
    if (full > 0) grid.narrow(0, 0, full).select(4, 3).fill_(255);
    if (rest > 0) grid.select(0, full).narrow(0, 0, rest).select(3, 3).fill_(255);
  }
}

void fill_scalar_atlas(const torch::Tensor& fields, const AtlasLayout& layout, torch::Tensor& out, float background) {
  check_out(out, layout, torch::kFloat, 0);
  if (fields.dim() != 3 || fields.size(0) != layout.count || fields.size(1) != layout.cell_h ||
      fields.size(2) != layout.cell_w)
    throw std::invalid_argument("scalar fields must be [" + std::to_string(layout.count) + ", " +
                                std::to_string(layout.cell_h) + ", " + std::to_string(layout.cell_w) + "]");
  torch::NoGradGuard no_grad;
  out.fill_(background);
  if (layout.count == 0) return;
  write_cells(fields.detach().to(out.device(), torch::kFloat), layout, out);
}

}  // namespace ebm::gpu
