// FC: the original's init_fc_weight + smart_fc_block, out = x @ W + b with W kept in TF's [in, out]
// layout (so TF `F/wweight` loads without a transpose). Parameters: w [in, out] (F/wweight),
// b [out] (F/b), buffer u [1, out] (F/w_u) when spectrally normalized.
#pragma once

#include "models/layers/spectral_norm.h"

#include <torch/torch.h>

namespace ebm {

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
