#include "models/layers/weighted.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace ebm {

CondConvImpl::CondConvImpl(const ConvSpec& spec) : spec_(spec) {
  if (spec.k < 1 || spec.c_in < 1 || spec.c_out < 1 || spec.stride < 1 || spec.classes < 1)
    throw std::invalid_argument("conv layer: kernel, channels, stride and classes must all be >= 1");
  auto w = torch::empty({spec.c_out, spec.c_in, spec.k, spec.k});
  {
    torch::NoGradGuard no_grad;
    // TF get_weight: N(0,1) for SN weights (scale is irrelevant after normalization), 1e-10 for
    // zero-init SN weights, Glorot uniform otherwise (same fans on OIHW as TF on HWIO).
    if (spec.spec_norm)
      w.normal_(0.0, spec.zero ? 1e-10 : 1.0);
    else if (spec.zero)
      w.zero_();
    else
      torch::nn::init::xavier_uniform_(w);
  }
  c = register_parameter("c", w);
  b = register_parameter("b", torch::zeros({spec.c_out}));
  if (spec.extras) {
    if (spec.classes != 1) {
      g = register_parameter("g", torch::ones({spec.classes, spec.c_out}));
      gb = register_parameter("gb", torch::zeros({spec.classes, spec.c_in}));
    } else {
      g = register_parameter("g", torch::ones({spec.c_out}));
      gb = register_parameter("gb", torch::zeros({spec.c_in}));
    }
    cb = register_parameter("cb", torch::zeros({spec.c_in}));
  }
  init_spectral(spec.c_out, SpectralOptions{spec.spec_norm, spec.zero, spec.spec_iter, spec.spec_norm_val});
}

torch::Tensor CondConvImpl::tf_matrix(const torch::Tensor& w) const {
  return w.permute({2, 3, 1, 0}).reshape({-1, spec_.c_out});
}

namespace {
// A 1-D table [n] acts as [1, n] for label@table, the way TF reshapes it.
torch::Tensor as_table(const torch::Tensor& t) { return t.dim() == 2 ? t : t.view({1, -1}); }

void check_label(const torch::Tensor& label, const torch::Tensor& table, int64_t batch) {
  if (label.dim() != 2 || label.size(1) != as_table(table).size(0))
    throw std::invalid_argument("label must be [batch, " + std::to_string(as_table(table).size(0)) +
                                "] for this layer, got " + std::to_string(label.dim()) + "-D with " +
                                std::to_string(label.dim() == 2 ? label.size(1) : -1) + " columns");
  if (label.size(0) != batch)
    throw std::invalid_argument("label batch " + std::to_string(label.size(0)) + " does not match image batch " +
                                std::to_string(batch));
}

// The per-channel terms (label@gb, label@g + cb, b) are fp32 parameters; under bf16 autocast the
// activations they meet are bf16, and type promotion would turn every activation after them into
// fp32 — then the elementwise ops move twice the bytes and every following conv casts its input back
// (on an H200 this alone made a batch-64 bf16 sampling step 13 % shorter: docs/gpu.md). So they
// take the activation's type, a no-op in fp32.
torch::Tensor like(const torch::Tensor& t, const torch::Tensor& activation) { return t.to(activation.scalar_type()); }
}  // namespace

torch::Tensor CondConvImpl::forward(const torch::Tensor& x_in, const torch::Tensor& label, const ConvCall& call) {
  if (x_in.dim() != 4 || x_in.size(1) != spec_.c_in)
    throw std::invalid_argument("conv layer expects [B, " + std::to_string(spec_.c_in) + ", H, W] input");
  if ((call.extra_bias || call.use_scale) && !spec_.extras)
    throw std::logic_error("conv layer without g/gb/cb asked for label injection");
  torch::Tensor x = x_in;
  if (call.extra_bias) {
    if (label.defined()) {
      check_label(label, gb, x.size(0));
      x = x + like(torch::matmul(label, as_table(gb)).unsqueeze(-1).unsqueeze(-1), x);
    } else {
      x = x + like(gb.view({1, -1, 1, 1}), x);
    }
  }
  auto y = conv2d_same(x, effective_weight(), spec_.stride);
  if (call.use_scale) {
    if (label.defined()) {
      check_label(label, g, y.size(0));
      // cb is [c_in]; the original only ever uses this where c_in == c_out (res_c2).
      auto scale = torch::matmul(label, as_table(g)) + cb;
      y = y * like(scale.unsqueeze(-1).unsqueeze(-1), y);
    } else {
      y = y * like(g.view({1, -1, 1, 1}), y);
    }
  }
  if (call.use_bias) y = y + like(b.view({1, -1, 1, 1}), y);
  return apply_act(call.act, y);
}

FCImpl::FCImpl(const FCSpec& spec) : spec_(spec) {
  if (spec.c_in < 1 || spec.c_out < 1) throw std::invalid_argument("fc layer: sizes must be >= 1");
  auto m = torch::empty({spec.c_in, spec.c_out});
  {
    torch::NoGradGuard no_grad;
    if (spec.spec_norm) {
      m.normal_(0.0, 1.0);
    } else {
      const double bound = std::sqrt(6.0 / static_cast<double>(spec.c_in + spec.c_out));  // Glorot uniform
      m.uniform_(-bound, bound);
    }
  }
  w = register_parameter("w", m);
  b = register_parameter("b", torch::zeros({spec.c_out}));
  init_spectral(spec.c_out, SpectralOptions{spec.spec_norm, false, spec.spec_iter, spec.spec_norm_val});
}

torch::Tensor FCImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 2 || x.size(1) != spec_.c_in)
    throw std::invalid_argument("fc layer expects [B, " + std::to_string(spec_.c_in) + "] input");
  return torch::matmul(x, effective_weight()) + b;
}

}  // namespace ebm
