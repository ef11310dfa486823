// The original's two weight primitives, one TF scope per instance: CondConv (conv_block with label
// gain/bias injection) and FC (smart_fc_block). Both may be spectrally normalized (spectral_norm.h).
#pragma once

#include "models/layers/spectral_norm.h"
#include "models/layers/functional.h"

#include <torch/torch.h>

namespace ebm {

// CondConv: the original's init_conv_weight + conv_block (spec §2.1/§2.2), one TF scope per instance.
// Parameters (module names = reference state_dict names; TF names in parentheses):
//   c  [c_out, c_in, k, k] OIHW   (S/cweight, HWIO [k,k,c_in,c_out]: permute(3,2,0,1) to convert)
//   b  [c_out]                    (S/b)  — dead for every model conv: use_bias is never set; kept for checkpoints
//   g  [classes, c_out] or [c_out] (S/g)  — output scale (res_c2 only)
//   gb [classes, c_in] or [c_in]   (S/gb) — input bias label@gb (res_c1, res_c2)
//   cb [c_in]                      (S/cb) — scale offset label@g + cb (only valid where c_in == c_out)
//   u  [1, c_out] buffer           (S/c_u) — spectral-norm power-iteration vector
// Attention convs (extras = false) have only c, b and u, as in TF.
struct ConvSpec {
  int64_t k = 3, c_in = 0, c_out = 0, stride = 1;
  bool spec_norm = true;
  bool zero = false;      // zero-init weight (res_c2): N(0, 1e-10) + lower-bound SN, or zeros without SN
  int64_t classes = 1;    // 1 → 1-D g/gb (label_size 1 or cclass off)
  int spec_iter = 1;
  float spec_norm_val = 1.0f;
  bool extras = true;     // g, gb, cb exist (false for attention q/k/v)
};

// How one call uses the layer (conv_block's keyword arguments).
struct ConvCall {
  bool extra_bias = false;  // x += label@gb (or gb without label) before the conv
  bool use_scale = false;   // y *= label@g + cb (or g without label)
  bool use_bias = false;    // y += b (attention q/k only)
  Act act = Act::None;
};

class CondConvImpl : public SpectralWeightImpl {
 public:
  explicit CondConvImpl(const ConvSpec& spec);

  // x [B, c_in, H, W]; label [B, classes] or undefined (no label: the unconditional g/gb are used).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& label = {}, const ConvCall& call = {});

  torch::Tensor raw_weight() const override { return c; }
  // OIHW → HWIO → [k*k*c_in, c_out], the order TF's spectral norm flattens in.
  torch::Tensor tf_matrix(const torch::Tensor& w) const override;
  const ConvSpec& spec() const { return spec_; }

  torch::Tensor c, b, g, gb, cb;

 private:
  ConvSpec spec_;
};
TORCH_MODULE(CondConv);

// FC: the original's init_fc_weight + smart_fc_block, out = x @ W + b with W kept in TF's [in, out]
// layout (so TF `F/wweight` loads without a transpose). Parameters: w [in, out] (F/wweight),
// b [out] (F/b), buffer u [1, out] (F/w_u) when spectrally normalized.
struct FCSpec {
  int64_t c_in = 0, c_out = 0;
  bool spec_norm = true;
  int spec_iter = 1;
  float spec_norm_val = 1.0f;
};

class FCImpl : public SpectralWeightImpl {
 public:
  explicit FCImpl(const FCSpec& spec);
  torch::Tensor forward(const torch::Tensor& x);  // x [B, in] → [B, out]

  torch::Tensor raw_weight() const override { return w; }
  torch::Tensor tf_matrix(const torch::Tensor& m) const override { return m; }
  const FCSpec& spec() const { return spec_; }

  torch::Tensor w, b;

 private:
  FCSpec spec_;
};
TORCH_MODULE(FC);

}  // namespace ebm
