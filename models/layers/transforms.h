// augment_vis: the original's data_vis.standard_transforms (spec §2.9), applied to CubesNet's input
// inside the energy, so every evaluation (every Langevin step) sees a fresh random transform:
//   1. pad 6 with constant 0.5          64 → 76
//   2. jitter 4: crop (H-4, W-4) at a random offset in {0..4} per axis      → 72
//   3. rotate by an angle from [-10..10] + five extra 0s (26 entries, P(0) = 6/26), degrees converted
//      with pi ≈ 3.14 as the original does, nearest neighbour, zero fill, about the centre
//   4. jitter 2                                                              → 70
// Every random choice is ONE value for the whole batch. The draw is a plain struct so tests and the
// parity fixtures can force it.
#pragma once

#include <torch/torch.h>

#include <array>
#include <string>

namespace ebm {

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

}  // namespace ebm
