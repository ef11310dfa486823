#include "models/cubesnetgen.h"

#include "models/layers/weighted.h"
#include "models/layers/blocks.h"

#include <stdexcept>
#include <string>

namespace ebm {

CubesNetGenImpl::CubesNetGenImpl(ModelConfig config, LabelSchema schema)
    : NetworkImpl(std::move(config), std::move(schema)) {
  const auto& c = config_;
  if (c.arch != Arch::CubesNetGen)
    throw std::invalid_argument("CubesNetGen built from a " + to_string(c.arch) + " config");
  c.validate();
  const int64_t d = c.num_filters, classes = c.classes();
  ConvSpec base;
  base.spec_norm = c.spec_norm;
  base.spec_iter = c.spec_iter;
  base.spec_norm_val = c.spec_norm_val;
  layers_->update({{"fc_dense", FC(FCSpec{2 * d, 4 * 4 * 4 * d, c.spec_norm, c.spec_iter, c.spec_norm_val}).ptr()}});
  add_res_block(layers_, "res_1", 4 * d, 2 * d, classes, base);
  add_res_block(layers_, "res_2", 2 * d, 2 * d, classes, base);
  add_res_block(layers_, "res_3", 2 * d, d, classes, base);
  add_res_block(layers_, "res_4", d, d, classes, base);
  ConvSpec out = base;
  out.k = 3;
  out.c_in = d;
  out.c_out = c.num_channels;
  layers_->update({{"c4_out", CondConv(out).ptr()}});
}

torch::Tensor CubesNetGenImpl::generate(const torch::Tensor& z, const torch::Tensor& label_in) {
  const auto& c = config_;
  const int64_t d = c.num_filters;
  if (z.dim() != 2 || z.size(1) != 2 * d)
    throw std::invalid_argument("cubesnetgen expects noise z [B, " + std::to_string(2 * d) + "] (U(-1,1) in the original)");
  torch::Tensor label;
  if (label_in.defined()) {
    if (label_in.dim() != 2 || label_in.size(0) != z.size(0) || label_in.size(1) != c.classes())
      throw std::invalid_argument("cubesnetgen needs a label [B, " + std::to_string(c.classes()) +
                                  "] with one row per noise vector (the joint baseline uses [size, x, y])");
    label = label_in.to(z.dtype());
  }
  const Act act = c.swish_act ? Act::Swish : Act::LeakyRelu;
  auto h = apply_act(act, layers_["fc_dense"]->as<FCImpl>()->forward(z));
  h = h.view({z.size(0), 4, 4, 4 * d}).permute({0, 3, 1, 2});  // the original reshapes NHWC
  const ResBlockOptions up_adaptive{true, false, true, false};
  const ResBlockOptions up_plain{false, false, true, false};
  h = res_block(layers_, "res_1", h, label, act, with_checkpoint(up_adaptive));
  h = res_block(layers_, "res_2", h, label, act, with_checkpoint(up_plain));
  h = res_block(layers_, "res_3", h, label, act, with_checkpoint(up_adaptive));
  h = res_block(layers_, "res_4", h, label, act, with_checkpoint(up_plain));
  return conv_at(layers_, "c4_out").forward(h);
}

}  // namespace ebm
