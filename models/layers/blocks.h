// The composite blocks the networks are built from: the residual block and self-attention.
#pragma once

#include "models/layers/weighted.h"

#include <string>
#include <torch/torch.h>

namespace ebm {

// The original's smart_res_block (spec §2.3) over convs stored in a network's "layers" dict:
//   h  = c1(x + label@gb_c1); [dropout 0.5]; act
//   h  = c2(h + label@gb_c2) * (label@g_c2 + cb_c2)
//   r  = h + (adaptive ? adaptive3x3(x) : x)
//   r  = upsample ? nearest×2(r) : (downsample ? avgpool2x2(r) : r);  out = act(r)
// Pooling comes after the residual add and the activation after pooling; the bypass is 3×3, not 1×1.
struct ResBlockOptions {
  bool adaptive = true;
  bool downsample = true;
  bool upsample = false;
  bool dropout = false;  // ResNet128 train=True: always-on dropout(0.5) after c1, as TF's layer
  bool checkpoint = false;  // recompute the block's activations in the backward (checkpoint.h)
};

// Registers `<name>_res_c1`, `<name>_res_c2` (zero-init, lower-bound SN) and, when c_in != c_out,
// `<name>_res_adaptive` in `layers`. `base` carries spec_norm/spec_iter/spec_norm_val.
void add_res_block(torch::nn::ModuleDict& layers, const std::string& name, int64_t c_in, int64_t c_out,
                   int64_t classes, const ConvSpec& base);

torch::Tensor res_block(torch::nn::ModuleDict& layers, const std::string& name, const torch::Tensor& x,
                        const torch::Tensor& label, Act act, const ResBlockOptions& opt);

// The CondConv registered under `name` (throws std::out_of_range naming the scope if absent).
CondConvImpl& conv_at(torch::nn::ModuleDict& layers, const std::string& name);

// SelfAttention: the original's utils.attention as called by smart_atten_block (spec §2.6).
// q = conv1x1(x) + q.b, k = conv1x1(x) + k.b, v = leaky_relu(conv1x1(x)) with v's bias unused,
// beta = softmax(q·kᵀ) over HW×HW with NO 1/sqrt(d) scaling, out = x + gamma * (beta · v).
// Parameter names: q.{c,b,u}, k.{c,b,u}, v.{c,b,u}, gamma (TF atten/atten_{q,k,v}weight, _b1, _u, gamma).
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
