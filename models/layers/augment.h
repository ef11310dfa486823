// Training-data augmentation of `ebm train --augment` (issue #24): the original's standard
// transforms (spec §2.9: pad, jitter, rotate; its random_scale, commented out there, as an option) and
// the lucid-style colour jitter they came from, as batched tensor ops on the training device — one
// random draw PER IMAGE (the in-model augment_vis of preprocess.h draws one per batch), so a batch
// sees many variants. The geometric transforms are one affine resampling (bilinear, border pixels
// repeated), so the image keeps its size; the antialias blur is the binomial kernel of filters.py.
//
// Geometric transforms move what is in the image: they are wrong for a label that says where
// something is or how big it is (a position or size concept), and `ebm train` refuses them there.
#pragma once

#include <torch/torch.h>

#include <string>

namespace ebm {

struct AugmentOptions {
  double color_jitter = 0.0;  // brightness, contrast and saturation each scaled by U(1 − a, 1 + a)
  int translate = 0;          // pixels: the original's pad-then-jitter shift, U{−t … t} per axis
  double rotate_deg = 0.0;    // U(−r, r) degrees about the centre (the original: ±10)
  double scale = 0.0;         // zoom by U(1 − s, 1 + s) about the centre
  double blur = 0.0;          // probability of the 3×3 binomial (antialias) blur per image
  bool any() const { return color_jitter > 0 || translate > 0 || rotate_deg > 0 || scale > 0 || blur > 0; }
  bool geometric() const { return translate > 0 || rotate_deg > 0 || scale > 0; }
  std::string describe() const;  // "colour 0.1, translate 4, rotate 10°, …" or "off"
  void validate() const;         // throws std::invalid_argument naming the option
  // The original's set: translate 4 (pad 6 + jitter 4 + jitter 2 ≈ ±4 px), rotate ±10°, no scale,
  // colour jitter 0.1, blur 0.5.
  static AugmentOptions standard();
};

// Augmented copy of x [B,C,H,W] in [0,1] (same shape, same device, values in [0,1]). Every random
// number comes from `gen`, a CPU generator, so a seed gives the same batch on every device.
torch::Tensor augment_batch(const torch::Tensor& x, const AugmentOptions& opt, torch::Generator& gen);

}  // namespace ebm
