// SelfAttention: the original's utils.attention as called by smart_atten_block (spec §2.6).
// q = conv1x1(x) + q.b, k = conv1x1(x) + k.b, v = leaky_relu(conv1x1(x)) with v's bias unused,
// beta = softmax(q·kᵀ) over HW×HW with NO 1/sqrt(d) scaling, out = x + gamma * (beta · v).
// Parameter names: q.{c,b,u}, k.{c,b,u}, v.{c,b,u}, gamma (TF atten/atten_{q,k,v}weight, _b1, _u, gamma).
#pragma once

#include "models/layers/conv.h"

#include <torch/torch.h>

namespace ebm {

class SelfAttentionImpl : public torch::nn::Module {
 public:
  // c_in channels, k = key/query width (ResNet128: c_in / 2).
  SelfAttentionImpl(int64_t c_in, int64_t k, bool spec_norm, int spec_iter = 1, float spec_norm_val = 1.0f);
  torch::Tensor forward(const torch::Tensor& x);

  CondConv q{nullptr}, k{nullptr}, v{nullptr};
  torch::Tensor gamma;
};
TORCH_MODULE(SelfAttention);

}  // namespace ebm
