// ResNet128 (spec §3.3): the conditional energy of the CelebA (classes=2) and ImageNet models,
// 128×128 input (any size that survives five 2× poolings works: the reduction is a spatial sum).
//   c1_pre conv3×3 + act → res_optim (no bypass, ALWAYS leaky_relu(0.2), as the original never
//   passes act there) → [atten] → res_3, res_5, res_7 (adaptive) → res_9 → res_10 (no downsample)
//   → swish (relu when swish_act is off) → spatial SUM → fc5.
// Dropout(0.5) after each block's c1 when config.dropout (the original's train=True), in every mode.
// `atten` weights always exist (they are in every checkpoint) and are used iff use_attention.
//
// The original hard-codes c1_pre's output to 64 channels and feeds it to res_optim (64→d) without a
// bypass conv, so it only runs with num_filters = 64. Here c1_pre outputs num_filters channels:
// identical for d = 64, and smaller test models (d = 4, 8) become possible.
#pragma once

#include "models/network.h"

#include <torch/torch.h>

namespace ebm {

class ResNet128Impl : public NetworkImpl {
 public:
  ResNet128Impl(ModelConfig config, LabelSchema schema);

  torch::Tensor energy(const torch::Tensor& x, const torch::Tensor& label,
                       const torch::Tensor& attention_mask = {}) override;
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& label) { return energy(x, label); }
};
TORCH_MODULE(ResNet128);

}  // namespace ebm
