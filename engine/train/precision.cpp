#include "engine/train/precision.h"

namespace ebm::train {

AutocastScope::AutocastScope(bool enabled, const torch::Device& device, bool cast_cache) {
  if (enabled && device.is_cuda()) guard_.emplace(c10::kCUDA, at::kBFloat16, cast_cache);
}

void to_channels_last(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
  for (auto& b : m.buffers())
    if (b.dim() == 4) b.set_data(b.data().contiguous(torch::MemoryFormat::ChannelsLast));
}

}  // namespace ebm::train
