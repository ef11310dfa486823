#include "models/layers/blocks.h"

#include "models/layers/checkpoint.h"

#include <stdexcept>

namespace ebm {

namespace F = torch::nn::functional;

CondConvImpl& conv_at(torch::nn::ModuleDict& layers, const std::string& name) {
  if (!layers->contains(name)) throw std::out_of_range("network has no layer scope '" + name + "'");
  auto* conv = layers[name]->as<CondConvImpl>();
  if (!conv) throw std::logic_error("layer scope '" + name + "' is not a conv layer");
  return *conv;
}

void add_res_block(torch::nn::ModuleDict& layers, const std::string& name, int64_t c_in, int64_t c_out,
                   int64_t classes, const ConvSpec& base) {
  ConvSpec s = base;
  s.k = 3;
  s.stride = 1;
  s.classes = classes;
  s.extras = true;
  s.c_in = c_in;
  s.c_out = c_out;
  s.zero = false;
  layers->update({{name + "_res_c1", CondConv(s).ptr()}});
  ConvSpec s2 = s;
  s2.c_in = c_out;
  s2.zero = true;
  layers->update({{name + "_res_c2", CondConv(s2).ptr()}});
  if (c_in != c_out) layers->update({{name + "_res_adaptive", CondConv(s).ptr()}});
}

torch::Tensor res_block(torch::nn::ModuleDict& layers, const std::string& name, const torch::Tensor& x,
                        const torch::Tensor& label, Act act, const ResBlockOptions& opt) {
  if (opt.checkpoint) {
    // The block's convs hand their weights (gradients flow through the checkpoint) and their
    // spectral-norm vectors (advanced in place, replayed on the recompute) to checkpointed().
    std::vector<torch::Tensor> params, state;
    for (const char* part : {"_res_c1", "_res_c2", "_res_adaptive"}) {
      if (!layers->contains(name + part)) continue;
      const auto& m = *layers[name + part];
      for (const auto& p : m.parameters()) params.push_back(p);
      for (const auto& b : m.buffers()) state.push_back(b);
    }
    ResBlockOptions plain = opt;
    plain.checkpoint = false;
    return checkpointed(
        [&layers, name, act, plain](const torch::Tensor& xi, const torch::Tensor& li) {
          return res_block(layers, name, xi, li, act, plain);
        },
        x, label, params, state);
  }
  ConvCall c1_call;
  c1_call.extra_bias = true;
  auto h = conv_at(layers, name + "_res_c1").forward(x, label, c1_call);
  if (opt.dropout) h = F::dropout(h, F::DropoutFuncOptions().p(0.5).training(true));
  h = apply_act(act, h);
  ConvCall c2_call;
  c2_call.extra_bias = true;
  c2_call.use_scale = true;
  h = conv_at(layers, name + "_res_c2").forward(h, label, c2_call);
  auto bypass = opt.adaptive ? conv_at(layers, name + "_res_adaptive").forward(x) : x;
  if (!opt.adaptive && x.size(1) != h.size(1))
    throw std::logic_error("res block '" + name + "' without bypass conv changes the channel count");
  auto r = h + bypass;
  if (opt.upsample) {
    r = F::interpolate(r, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest));
  } else if (opt.downsample) {
    r = avg_pool_2x2(r);
  }
  return apply_act(act, r);
}

SelfAttentionImpl::SelfAttentionImpl(int64_t c_in, int64_t kw, bool spec_norm, int spec_iter, float spec_norm_val) {
  auto spec = [&](int64_t c_out) {
    ConvSpec s;
    s.k = 1;
    s.c_in = c_in;
    s.c_out = c_out;
    s.spec_norm = spec_norm;
    s.spec_iter = spec_iter;
    s.spec_norm_val = spec_norm_val;
    s.extras = false;  // TF creates only weight + bias (+ u) for attention convs
    return s;
  };
  q = register_module("q", CondConv(spec(kw)));
  k = register_module("k", CondConv(spec(kw)));
  v = register_module("v", CondConv(spec(c_in)));
  gamma = register_parameter("gamma", torch::zeros({1}));  // starts as identity
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x) {
  const auto B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  ConvCall with_bias;
  with_bias.use_bias = true;
  ConvCall v_call;
  v_call.act = Act::LeakyRelu;  // conv_block's default activation, no bias
  auto qq = q->forward(x, {}, with_bias).flatten(2).transpose(1, 2);  // [B, HW, k]
  auto kk = k->forward(x, {}, with_bias).flatten(2);                  // [B, k, HW]
  auto vv = v->forward(x, {}, v_call).flatten(2).transpose(1, 2);     // [B, HW, C]
  auto beta = torch::softmax(torch::bmm(qq, kk), -1);                 // [B, HW, HW]
  auto o = torch::bmm(beta, vv).transpose(1, 2).reshape({B, C, H, W});
  return x + gamma * o;
}

}  // namespace ebm
