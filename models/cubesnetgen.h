// CubesNetGen (spec §3.2): the conditional generator of the cross-product "joint baseline".
//   z [B, 2d] → fc_dense (SN) + act → reshape NHWC [B,4,4,4d] → res_1 (adaptive, up) → res_2 (up)
//   → res_3 (adaptive, up) → res_4 (up) → c4_out conv3×3 (no activation, no bias) → [B,C,64,64].
// The label is always used (the original has no cclass check here); output is unbounded.
#pragma once

#include "models/network.h"

#include <torch/torch.h>

namespace ebm {

class CubesNetGenImpl : public NetworkImpl {
 public:
  CubesNetGenImpl(ModelConfig config, LabelSchema schema);

  torch::Tensor generate(const torch::Tensor& z, const torch::Tensor& label) override;
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& label) { return generate(z, label); }
};
TORCH_MODULE(CubesNetGen);

}  // namespace ebm
