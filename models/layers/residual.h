// The original's smart_res_block (spec §2.3) over convs stored in a network's "layers" dict:
//   h  = c1(x + label@gb_c1); [dropout 0.5]; act
//   h  = c2(h + label@gb_c2) * (label@g_c2 + cb_c2)
//   r  = h + (adaptive ? adaptive3x3(x) : x)
//   r  = upsample ? nearest×2(r) : (downsample ? avgpool2x2(r) : r);  out = act(r)
// Pooling comes after the residual add and the activation after pooling; the bypass is 3×3, not 1×1.
#pragma once

#include "models/layers/conv.h"

#include <torch/torch.h>

#include <string>

namespace ebm {

struct ResBlockOptions {
  bool adaptive = true;
  bool downsample = true;
  bool upsample = false;
  bool dropout = false;  // ResNet128 train=True: always-on dropout(0.5) after c1, as TF's layer
};

// Registers `<name>_res_c1`, `<name>_res_c2` (zero-init, lower-bound SN) and, when c_in != c_out,
// `<name>_res_adaptive` in `layers`. `base` carries spec_norm/spec_iter/spec_norm_val.
void add_res_block(torch::nn::ModuleDict& layers, const std::string& name, int64_t c_in, int64_t c_out,
                   int64_t classes, const ConvSpec& base);

torch::Tensor res_block(torch::nn::ModuleDict& layers, const std::string& name, const torch::Tensor& x,
                        const torch::Tensor& label, Act act, const ResBlockOptions& opt);

// The CondConv registered under `name` (throws std::out_of_range naming the scope if absent).
CondConvImpl& conv_at(torch::nn::ModuleDict& layers, const std::string& name);

}  // namespace ebm
