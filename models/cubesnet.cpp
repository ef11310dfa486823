#include "models/cubesnet.h"

#include "models/layers/preprocess.h"
#include "models/layers/weighted.h"
#include "models/layers/blocks.h"

#include <ATen/CPUGeneratorImpl.h>

#include <stdexcept>
#include <string>

namespace ebm {

namespace {
// Default transform seed: fixed so an unseeded model is still reproducible run to run.
constexpr uint64_t kDefaultTransformSeed = 0x5eed;

ConvSpec base_spec(const ModelConfig& c) {
  ConvSpec s;
  s.spec_norm = c.spec_norm;
  s.spec_iter = c.spec_iter;
  s.spec_norm_val = c.spec_norm_val;
  return s;
}
}  // namespace

CubesNetImpl::CubesNetImpl(ModelConfig config, LabelSchema schema)
    : NetworkImpl(std::move(config), std::move(schema)),
      gen_(at::detail::createCPUGenerator(kDefaultTransformSeed)) {
  const auto& c = config_;
  if (c.arch != Arch::CubesNet) throw std::invalid_argument("CubesNet built from a " + to_string(c.arch) + " config");
  c.validate();
  if (c.comb_mask && (c.antialias || c.augment_vis))
    throw std::invalid_argument(
        "comb_mask cannot be combined with antialias or augment_vis (the mask is defined on the 64x64 input; "
        "the original breaks the same way): turn one of them off");
  const int64_t d = c.num_filters, classes = c.classes();
  ConvSpec pre = base_spec(c);
  pre.k = 3;
  pre.c_in = c.num_channels;
  pre.c_out = d;
  layers_->update({{"c1_pre", CondConv(pre).ptr()}});
  const ConvSpec base = base_spec(c);
  add_res_block(layers_, "res_optim", d, d, classes, base);
  add_res_block(layers_, "res_1", d, 2 * d, classes, base);
  add_res_block(layers_, "res_2", 2 * d, 2 * d, classes, base);
  add_res_block(layers_, "res_3", 2 * d, 2 * d, classes, base);
  add_res_block(layers_, "res_4", 2 * d, 4 * d, classes, base);
  layers_->update({{"fc_dense", FC(FCSpec{4 * d, 2 * d, c.spec_norm, c.spec_iter, c.spec_norm_val}).ptr()}});
  layers_->update({{"fc5", FC(FCSpec{4 * d, 1, false, c.spec_iter, c.spec_norm_val}).ptr()}});
}

void CubesNetImpl::seed_transforms(uint64_t seed) {
  std::lock_guard<std::mutex> lock(gen_.mutex());
  gen_.set_current_seed(seed);
}

torch::Tensor CubesNetImpl::energy(const torch::Tensor& x_in, const torch::Tensor& label_in,
                                   const torch::Tensor& attention_mask) {
  const auto& c = config_;
  if (x_in.dim() != 4 || x_in.size(1) != c.num_channels)
    throw std::invalid_argument("cubesnet expects images [B, " + std::to_string(c.num_channels) + ", H, W]");
  const int64_t batch = x_in.size(0);
  torch::Tensor label;
  if (c.cclass) {
    if (!label_in.defined() || label_in.dim() != 2 || label_in.size(0) != batch || label_in.size(1) != c.label_size)
      throw std::invalid_argument("cubesnet (cclass) needs a label [B, " + std::to_string(c.label_size) +
                                  "] with one row per image");
    label = label_in.to(x_in.dtype());
  }
  torch::Tensor x = x_in;
  if (c.antialias) x = antialias_downsample(x, 3);
  if (c.augment_vis) {
    TransformDraw draw = forced_ ? *forced_ : draw_standard_transform(gen_);
    last_ = draw;
    x = apply_standard_transforms(x, draw);
  }
  if (c.comb_mask) {
    x = comb_mask_split(x, attention_mask, c.comb_mask_reshape_quirk);
    // The original breaks here (label batch B vs B*K); each copy naturally takes its image's label.
    if (label.defined()) label = label.repeat_interleave(c.cond_func, 0);
    if (x.size(0) != batch * c.cond_func)
      throw std::invalid_argument("comb_mask: the attention mask must have cond_func = " +
                                  std::to_string(c.cond_func) + " channels");
  }
  const Act act = c.swish_act ? Act::Swish : Act::LeakyRelu;
  ConvCall pre;
  pre.act = act;
  auto h = conv_at(layers_, "c1_pre").forward(x, {}, pre);
  h = res_block(layers_, "res_optim", h, label, act, with_checkpoint({/*adaptive=*/false}));
  h = res_block(layers_, "res_1", h, label, act, with_checkpoint({/*adaptive=*/true}));
  h = res_block(layers_, "res_2", h, label, act, with_checkpoint({/*adaptive=*/false}));
  h = res_block(layers_, "res_3", h, label, act, with_checkpoint({/*adaptive=*/false, /*downsample=*/false}));
  h = res_block(layers_, "res_4", h, label, act, with_checkpoint({/*adaptive=*/true}));
  h = apply_act(act, h).mean({2, 3});
  auto e = layers_["fc5"]->as<FCImpl>()->forward(h);
  if (c.comb_mask) e = comb_mask_merge(e, batch, c.cond_func);
  return e;
}

}  // namespace ebm
