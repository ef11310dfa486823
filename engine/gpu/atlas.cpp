#include "engine/gpu/atlas.h"

#ifdef EBM_HAVE_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

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

// Tiles [B, H, W(, 4)] cells (already converted) into the atlas interior with one copy: pad the batch
// to rows*cols and every cell by `pad` on the right and bottom with `bg` ([4] or a scalar tensor), then
// fold rows and columns into place.
void tile_into(const torch::Tensor& cells, const AtlasLayout& g, const torch::Tensor& bg, torch::Tensor& out) {
  const bool rgba = cells.dim() == 4;
  const int64_t slots = static_cast<int64_t>(g.rows) * g.cols;
  const int64_t H = g.cell_h, W = g.cell_w, P = g.pad;
  std::vector<int64_t> shape = {slots, H + P, W + P};
  if (rgba) shape.push_back(4);
  std::vector<int64_t> bg_view(shape.size(), 1);
  if (rgba) bg_view.back() = 4;
  torch::Tensor padded = bg.view(bg_view).expand(shape).clone();
  padded.narrow(0, 0, cells.size(0)).narrow(1, 0, H).narrow(2, 0, W).copy_(cells);
  // [rows, cols, H+P, W+P(, 4)] -> [rows, H+P, cols, W+P(, 4)] -> [rows*(H+P), cols*(W+P)(, 4)].
  std::vector<int64_t> split = {g.rows, g.cols, H + P, W + P};
  std::vector<int64_t> perm = {0, 2, 1, 3};
  std::vector<int64_t> merged = {g.rows * (H + P), g.cols * (W + P)};
  if (rgba) {
    split.push_back(4);
    perm.push_back(4);
    merged.push_back(4);
  }
  torch::Tensor folded = padded.view(split).permute(perm).reshape(merged);
  out.narrow(0, P, merged[0]).narrow(1, P, merged[1]).copy_(folded);
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
  auto bg = torch::tensor({background[0], background[1], background[2], background[3]},
                          torch::TensorOptions().dtype(torch::kUInt8).device(out.device()));
  out.copy_(bg.view({1, 1, 4}).expand_as(out));
  if (layout.count == 0) return;
  torch::Tensor rgb = images.detach().to(out.device(), torch::kFloat);
  if (rgb.size(1) == 1) rgb = rgb.expand({-1, 3, -1, -1});
  // Round like Snapshot::host_rgba8 (and so PNG export) does, so the view shows exactly the exported bytes.
  torch::Tensor u8 = rgb.clamp(0, 1).mul(255.f).round_().to(torch::kUInt8).permute({0, 2, 3, 1});
  torch::Tensor alpha = torch::full({u8.size(0), u8.size(1), u8.size(2), 1}, 255,
                                    torch::TensorOptions().dtype(torch::kUInt8).device(out.device()));
  tile_into(torch::cat({u8, alpha}, 3), layout, bg, out);
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
  auto bg = torch::full({}, background, torch::TensorOptions().dtype(torch::kFloat).device(out.device()));
  tile_into(fields.detach().to(out.device(), torch::kFloat), layout, bg, out);
}

}  // namespace ebm::gpu
