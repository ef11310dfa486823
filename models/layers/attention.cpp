#include "models/layers/attention.h"

namespace ebm {

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
