// PNG ↔ tensor. Inside the project images are float NCHW in [0,1] (DESIGN.md); on disk they are
// 8-bit PNGs. Plain pixels only: recipe text chunks and grids live in engine/export/.
#pragma once

#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace ebm {

// A file that is not a PNG, or one the decoder rejects; the message names the file and the reason.
class ImageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads a PNG (8- or 16-bit; gray, gray+alpha, RGB or RGBA) as float [1, channels, H, W] in [0,1].
// channels 3: gray is replicated to RGB and alpha is dropped (the models never saw alpha);
// channels 1: colour is converted to luminance by the decoder. Throws ImageError / FileError.
torch::Tensor load_png(const std::string& path, int channels = 3);

// A PNG (as load_png) or a baseline/progressive JPEG, told apart by their signatures; anything else
// is refused with an ImageError naming the file.
torch::Tensor load_image(const std::string& path, int channels = 3);

// Encodes [C,H,W] or [1,C,H,W] (C = 1, 3 or 4) float in [0,1] as an 8-bit PNG: values are clamped,
// NaN becomes 0, and each value v is stored as round(v * 255). Throws ImageError on a bad shape.
std::string encode_png(const torch::Tensor& image);

// encode_png + an atomic write (temp file + rename).
void save_png(const std::string& path, const torch::Tensor& image);

}  // namespace ebm
