// CubesPredict (spec §3.4): the supervised evaluator of the cross-product benchmark. No spectral
// norm, no label. c1_pre conv1×1 (3→64, hard-coded 64 as in the original) + act → c1..c4 conv4×4
// stride 2 'SAME' + act → spatial mean → two heads: fc_dense_pos → act → fc5_pos (pos [B,2]) and
// fc_dense_logit → act → fc5_logit (logit [B,1], regressed onto the SIZE label despite its name).
#pragma once

#include "models/network.h"

#include <torch/torch.h>

#include <utility>

namespace ebm {

class CubesPredictImpl : public NetworkImpl {
 public:
  CubesPredictImpl(ModelConfig config, LabelSchema schema);

  std::pair<torch::Tensor, torch::Tensor> predict(const torch::Tensor& x) override;  // (logit, pos)
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x) { return predict(x); }
};
TORCH_MODULE(CubesPredict);

}  // namespace ebm
