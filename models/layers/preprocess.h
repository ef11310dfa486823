// CubesNet's optional input preprocessing, in the order its forward applies them: the antialias
// blur (filters.py), augment_vis (data_vis.standard_transforms) and the comb_mask decomposition.
#pragma once

#include <array>
#include <string>
#include <torch/torch.h>

namespace ebm {

// ---- antialias: the original's filters.py binomial blur kernels and CubesNet's antialias
// downsampling (spec §2.10).
// outer([1,2,1])/16 (size 3, filters.stride_3) or outer([1,4,6,4,1])/256 (size 5, filters.stride_5).
torch::Tensor binomial_kernel(int size, torch::TensorOptions opts = {});

// CubesNet's antialias: the kernel tiled over ALL (in, out) channel pairs, so every output channel is
// the blurred SUM of all input channels (not a depthwise blur), stride 2, TF 'SAME' padding
// (0 before / 1 after for even sizes). 64×64 → 32×32. `size` 3 is what CubesNet uses.
torch::Tensor antialias_downsample(const torch::Tensor& x, int size = 3);

// ---- augment_vis: the original's data_vis.standard_transforms (spec §2.9), applied to CubesNet's input
// inside the energy, so every evaluation (every Langevin step) sees a fresh random transform:
//   1. pad 6 with constant 0.5          64 → 76
//   2. jitter 4: crop (H-4, W-4) at a random offset in {0..4} per axis      → 72
//   3. rotate by an angle from [-10..10] + five extra 0s (26 entries, P(0) = 6/26), degrees converted
//      with pi ≈ 3.14 as the original does, nearest neighbour, zero fill, about the centre
//   4. jitter 2                                                              → 70
// Every random choice is ONE value for the whole batch. The draw is a plain struct so tests and the
// parity fixtures can force it.
struct TransformDraw {
  int jitter1_y = 0, jitter1_x = 0;  // in [0, 4]
  int angle_index = 21;              // index into kRotationAnglesDeg (21..25 are the extra zeros)
  int jitter2_y = 0, jitter2_x = 0;  // in [0, 2]

  int angle_deg() const;
  std::string describe() const;
  void validate() const;  // throws std::invalid_argument naming the out-of-range field
};

constexpr int kAugmentPad = 6;
constexpr int kAugmentJitter1 = 4;
constexpr int kAugmentJitter2 = 2;
constexpr int kNumRotationAngles = 26;
// [-10..10] then five 0s, in the original's list order (so index draws match it).
extern const std::array<int, kNumRotationAngles> kRotationAnglesDeg;

// Draws the five values in the original's order (jitter y, jitter x, angle, jitter y, jitter x).
TransformDraw draw_standard_transform(torch::Generator& gen);

torch::Tensor apply_standard_transforms(const torch::Tensor& x, const TransformDraw& draw);

// tf.contrib.image.rotate with NEAREST interpolation and zero fill, `deg` degrees, pi ≈ 3.14.
// The sampling grid is computed on the CPU in float32 (the reference's exact arithmetic) so CPU and
// CUDA pick the same source pixels.
torch::Tensor rotate_nearest(const torch::Tensor& x, int deg);

// Random crop of `d` pixels per axis at offset (oy, ox).
torch::Tensor jitter_crop(const torch::Tensor& x, int d, int oy, int ox);

// Output side length of standard_transforms for an input of side n (64 → 70).
inline int64_t standard_transform_size(int64_t n) {
  return n + 2 * kAugmentPad - kAugmentJitter1 - kAugmentJitter2;
}

// ---- comb_mask (spec §3.1.1): decomposes an image into K = cond_func soft-masked copies (softmax over K
// per pixel), runs each through the energy and sums the K energies per image.
//
// The original multiplies [B,C,H,W,1] by the mask [B,1,H,W,K], transposes to [B,K,C,H,W] and then
// RESHAPES (not transposes) that channel-first memory to [B*K, H, W, C]: each copy's pixels are
// scrambled. Checkpoints trained by the original learned on scrambled inputs, so `reshape_quirk`
// (ModelConfig::comb_mask_reshape_quirk, default on) reproduces it; off gives the intended
// x * mask_k per copy, for newly trained models.
// x [B,C,H,W], mask [B,K,H,W] logits → [B*K, C, H, W] (copy k of image b at row b*K + k).
torch::Tensor comb_mask_split(const torch::Tensor& x, const torch::Tensor& mask, bool reshape_quirk);

// energies [B*K, 1] → [B, 1] (sum over the K copies).
torch::Tensor comb_mask_merge(const torch::Tensor& energies, int64_t batch, int64_t k);

}  // namespace ebm
