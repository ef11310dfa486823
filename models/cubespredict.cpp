#include "models/cubespredict.h"

#include "models/layers/weighted.h"
#include "models/layers/blocks.h"

#include <stdexcept>
#include <string>

namespace ebm {

namespace {
constexpr int64_t kPreChannels = 64;  // hard-coded in the original, independent of num_filters
}

CubesPredictImpl::CubesPredictImpl(ModelConfig config, LabelSchema schema)
    : NetworkImpl(std::move(config), std::move(schema)) {
  auto& c = config_;
  if (c.arch != Arch::CubesPredict)
    throw std::invalid_argument("CubesPredict built from a " + to_string(c.arch) + " config");
  c.validate();
  // The original creates every CubesPredict layer without spectral norm, whatever the flag says.
  c.spec_norm = false;
  const int64_t d = c.num_filters;
  auto conv = [&](const char* name, int64_t k, int64_t c_in, int64_t c_out, int64_t stride) {
    ConvSpec s;
    s.k = k;
    s.c_in = c_in;
    s.c_out = c_out;
    s.stride = stride;
    s.spec_norm = false;
    layers_->update({{name, CondConv(s).ptr()}});
  };
  conv("c1_pre", 1, c.num_channels, kPreChannels, 1);
  conv("c1", 4, kPreChannels, d, 2);
  conv("c2", 4, d, 2 * d, 2);
  conv("c3", 4, 2 * d, 4 * d, 2);
  conv("c4", 4, 4 * d, 4 * d, 2);
  auto fc = [&](const char* name, int64_t in, int64_t out) {
    layers_->update({{name, FC(FCSpec{in, out, false, 1, 1.0f}).ptr()}});
  };
  fc("fc_dense_pos", 4 * d, 2 * d);
  fc("fc_dense_logit", 4 * d, 2 * d);
  fc("fc5_pos", 2 * d, 2);
  fc("fc5_logit", 2 * d, 1);
}

std::pair<torch::Tensor, torch::Tensor> CubesPredictImpl::predict(const torch::Tensor& x) {
  const auto& c = config_;
  const int64_t n = c.image_size;
  if (x.dim() != 4 || x.size(1) != c.num_channels || x.size(2) != n || x.size(3) != n)
    throw std::invalid_argument("cubespredict expects images [B, " + std::to_string(c.num_channels) + ", " +
                                std::to_string(n) + ", " + std::to_string(n) + "]");
  const Act act = c.swish_act ? Act::Swish : Act::LeakyRelu;
  ConvCall call;
  call.act = act;
  auto h = conv_at(layers_, "c1_pre").forward(x, {}, call);
  for (const char* name : {"c1", "c2", "c3", "c4"}) h = conv_at(layers_, name).forward(h, {}, call);
  h = h.mean({2, 3});
  auto fc = [&](const char* name, const torch::Tensor& in) { return layers_[name]->as<FCImpl>()->forward(in); };
  auto pos = fc("fc5_pos", apply_act(act, fc("fc_dense_pos", h)));
  auto logit = fc("fc5_logit", apply_act(act, fc("fc_dense_logit", h)));
  return {logit, pos};
}

}  // namespace ebm
