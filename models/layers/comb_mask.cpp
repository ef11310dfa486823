#include "models/layers/comb_mask.h"

#include <stdexcept>
#include <string>

namespace ebm {

torch::Tensor comb_mask_split(const torch::Tensor& x, const torch::Tensor& mask, bool reshape_quirk) {
  if (!mask.defined())
    throw std::invalid_argument("this model uses comb_mask: pass an attention mask [B, cond_func, H, W] of logits");
  if (x.dim() != 4 || mask.dim() != 4 || mask.size(0) != x.size(0) || mask.size(2) != x.size(2) ||
      mask.size(3) != x.size(3))
    throw std::invalid_argument("comb_mask: attention mask must be [B, K, H, W] matching the image's batch and size");
  const auto B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), K = mask.size(1);
  auto m = torch::softmax(mask, 1).permute({0, 2, 3, 1}).reshape({B, 1, H, W, K});
  auto p = (x.reshape({B, C, H, W, 1}) * m).permute({0, 4, 1, 2, 3}).contiguous();  // [B,K,C,H,W]
  if (reshape_quirk) return p.reshape({B * K, H, W, C}).permute({0, 3, 1, 2});
  return p.reshape({B * K, C, H, W});
}

torch::Tensor comb_mask_merge(const torch::Tensor& energies, int64_t batch, int64_t k) {
  if (energies.numel() != batch * k)
    throw std::logic_error("comb_mask: expected " + std::to_string(batch * k) + " energies");
  return energies.view({batch, k}).sum(1, /*keepdim=*/true);
}

}  // namespace ebm
