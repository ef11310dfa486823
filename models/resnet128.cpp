#include "models/resnet128.h"

#include "models/layers/blocks.h"
#include "models/layers/weighted.h"

#include <stdexcept>
#include <string>

namespace ebm {

ResNet128Impl::ResNet128Impl(ModelConfig config, LabelSchema schema)
    : NetworkImpl(std::move(config), std::move(schema)) {
  const auto& c = config_;
  if (c.arch != Arch::ResNet128) throw std::invalid_argument("ResNet128 built from a " + to_string(c.arch) + " config");
  c.validate();
  const int64_t d = c.num_filters, classes = c.classes();
  ConvSpec base;
  base.spec_norm = c.spec_norm;
  base.spec_iter = c.spec_iter;
  base.spec_norm_val = c.spec_norm_val;
  ConvSpec pre = base;
  pre.k = 3;
  pre.c_in = c.num_channels;
  pre.c_out = d;
  layers_->update({{"c1_pre", CondConv(pre).ptr()}});
  add_res_block(layers_, "res_optim", d, d, classes, base);
  add_res_block(layers_, "res_3", d, 2 * d, classes, base);
  add_res_block(layers_, "res_5", 2 * d, 4 * d, classes, base);
  add_res_block(layers_, "res_7", 4 * d, 8 * d, classes, base);
  add_res_block(layers_, "res_9", 8 * d, 8 * d, classes, base);
  add_res_block(layers_, "res_10", 8 * d, 8 * d, classes, base);
  layers_->update({{"fc5", FC(FCSpec{8 * d, 1, false, c.spec_iter, c.spec_norm_val}).ptr()}});
  // The original passes k = d / 2.0 and truncates it.
  layers_->update({{"atten", SelfAttention(d, d / 2, c.spec_norm, c.spec_iter, c.spec_norm_val).ptr()}});
}

torch::Tensor ResNet128Impl::energy(const torch::Tensor& x, const torch::Tensor& label_in, const torch::Tensor&) {
  const auto& c = config_;
  if (x.dim() != 4 || x.size(1) != c.num_channels)
    throw std::invalid_argument("resnet128 expects images [B, " + std::to_string(c.num_channels) + ", H, W]");
  if (x.size(2) < 32 || x.size(3) < 32)
    throw std::invalid_argument("resnet128 needs images of at least 32x32 (five 2x poolings), got " +
                                std::to_string(x.size(2)) + "x" + std::to_string(x.size(3)));
  torch::Tensor label;
  if (c.cclass) {
    if (!label_in.defined() || label_in.dim() != 2 || label_in.size(0) != x.size(0) || label_in.size(1) != c.label_size)
      throw std::invalid_argument("resnet128 (cclass) needs a label [B, " + std::to_string(c.label_size) +
                                  "] with one row per image (CelebA: [1,0] absent, [0,1] present)");
    label = label_in.to(x.dtype());
  }
  const Act act = c.swish_act ? Act::Swish : Act::LeakyRelu;
  const bool dp = c.dropout;
  ConvCall pre;
  pre.act = act;
  auto h = conv_at(layers_, "c1_pre").forward(x, {}, pre);
  // res_optim: the original does not pass `act`, so smart_res_block's leaky_relu default applies.
  h = res_block(layers_, "res_optim", h, label, Act::LeakyRelu, with_checkpoint({false, true, false, dp}));
  if (c.use_attention) h = layers_["atten"]->as<SelfAttentionImpl>()->forward(h);
  h = res_block(layers_, "res_3", h, label, act, with_checkpoint({true, true, false, dp}));
  h = res_block(layers_, "res_5", h, label, act, with_checkpoint({true, true, false, dp}));
  h = res_block(layers_, "res_7", h, label, act, with_checkpoint({true, true, false, dp}));
  h = res_block(layers_, "res_9", h, label, act, with_checkpoint({false, true, false, dp}));
  h = res_block(layers_, "res_10", h, label, act, with_checkpoint({false, false, false, dp}));
  h = c.swish_act ? swish(h) : torch::relu(h);
  return layers_["fc5"]->as<FCImpl>()->forward(h.sum({2, 3}));
}

}  // namespace ebm
