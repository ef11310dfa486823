// comb_mask (spec §3.1.1): decomposes an image into K = cond_func soft-masked copies (softmax over K
// per pixel), runs each through the energy and sums the K energies per image.
//
// The original multiplies [B,C,H,W,1] by the mask [B,1,H,W,K], transposes to [B,K,C,H,W] and then
// RESHAPES (not transposes) that channel-first memory to [B*K, H, W, C]: each copy's pixels are
// scrambled. Checkpoints trained by the original learned on scrambled inputs, so `reshape_quirk`
// (ModelConfig::comb_mask_reshape_quirk, default on) reproduces it; off gives the intended
// x * mask_k per copy, for newly trained models.
#pragma once

#include <torch/torch.h>

namespace ebm {

// x [B,C,H,W], mask [B,K,H,W] logits → [B*K, C, H, W] (copy k of image b at row b*K + k).
torch::Tensor comb_mask_split(const torch::Tensor& x, const torch::Tensor& mask, bool reshape_quirk);

// energies [B*K, 1] → [B, 1] (sum over the K copies).
torch::Tensor comb_mask_merge(const torch::Tensor& energies, int64_t batch, int64_t k);

}  // namespace ebm
