// CubesNet (spec §3.1): the conditional energy E(x | label) of the cubes experiments, 64×64 input.
//   (antialias) → (augment_vis) → (comb_mask) → c1_pre conv3×3 + act → res_optim (no bypass)
//   → res_1 (adaptive) → res_2 → res_3 (no downsample) → res_4 (adaptive) → act → spatial MEAN → fc5.
// `fc_dense` is created (it is in every checkpoint) but unused, as in the original.
//
// augment_vis draws its transform from a torch::Generator owned by the model (seed it for
// reproducible runs) — one draw per batch, redrawn on every energy evaluation. Tests force a draw.
#pragma once

#include "models/layers/preprocess.h"
#include "models/network.h"

#include <torch/torch.h>

#include <optional>

namespace ebm {

class CubesNetImpl : public NetworkImpl {
 public:
  CubesNetImpl(ModelConfig config, LabelSchema schema);

  torch::Tensor energy(const torch::Tensor& x, const torch::Tensor& label,
                       const torch::Tensor& attention_mask = {}) override;
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& attention_mask = {}) {
    return energy(x, label, attention_mask);
  }

  // augment_vis randomness. force_transform(d) makes every evaluation use d until cleared with
  // std::nullopt; last_transform() is the draw the latest evaluation used.
  void seed_transforms(uint64_t seed);
  void force_transform(std::optional<TransformDraw> draw) { forced_ = draw; }
  std::optional<TransformDraw> last_transform() const { return last_; }

 private:
  torch::Generator gen_;
  std::optional<TransformDraw> forced_, last_;
};
TORCH_MODULE(CubesNet);

}  // namespace ebm
