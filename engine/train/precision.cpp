#include "engine/train/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace ebm::train {

namespace {
// The autocast API moved from per-device free functions (≤ 2.3) to device-typed ones (≥ 2.4).
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool cuda_autocast_enabled() { return at::autocast::is_autocast_enabled(at::kCUDA); }
void set_cuda_autocast(bool on) {
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  at::autocast::set_autocast_enabled(at::kCUDA, on);
}
#else
bool cuda_autocast_enabled() { return at::autocast::is_enabled(); }
void set_cuda_autocast(bool on) {
  at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
  at::autocast::set_enabled(on);
}
#endif
}  // namespace

AutocastScope::AutocastScope(bool enabled, const torch::Device& device, bool cast_cache) {
  if (!enabled || !device.is_cuda()) return;
  prev_ = cuda_autocast_enabled();
  prev_cache_ = at::autocast::is_autocast_cache_enabled();
  if (!cast_cache) at::autocast::set_autocast_cache_enabled(false);
  set_cuda_autocast(true);
  at::autocast::increment_nesting();
  active_ = true;
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_cuda_autocast(prev_);
  at::autocast::set_autocast_cache_enabled(prev_cache_);
}

void to_channels_last(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
  for (auto& b : m.buffers())
    if (b.dim() == 4) b.set_data(b.data().contiguous(torch::MemoryFormat::ChannelsLast));
}

}  // namespace ebm::train
