// In-memory PNG encode/decode with text chunks (libpng). Exported grids carry their recipe in an
// iTXt chunk so a PNG can be dropped back into the studio or `ebm sample` to reproduce it; masks
// inside recipes travel as small PNGs. Plain pixel I/O for files is image_io.h.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ebm {

class PngError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PngImage {
  int width = 0, height = 0;
  int channels = 0;                  // 1 (gray), 3 (RGB) or 4 (RGBA), 8 bits each
  std::vector<std::uint8_t> pixels;  // row-major, interleaved
  std::vector<std::pair<std::string, std::string>> text;  // keyword -> UTF-8 text
};

// Largest side accepted by the decoder (checked from the header, before any pixel is allocated).
constexpr int kMaxPngSide = 16384;

// Text longer than 1 KiB is stored zlib-compressed (iTXt compression flag); shorter as plain iTXt.
std::string png_encode(const PngImage& img);
// Palette, 16-bit and low-bit-depth images are expanded to 8 bits; gray+alpha drops the alpha.
// Throws PngError saying what is wrong (not a PNG, truncated, too large, corrupt).
PngImage png_decode(std::string_view bytes, int max_side = kMaxPngSide);
// Size and text chunks only (`pixels` stays empty): what reading an exported PNG's recipe needs.
// The image data is still read and checked, one row at a time, so memory stays small.
PngImage png_decode_text(std::string_view bytes);

// Tensors: [C,H,W] float in [0,1] <-> PngImage (values clamped, NaN -> 0, round(v·255)).
PngImage png_from_tensor(const torch::Tensor& chw);
torch::Tensor tensor_from_png(const PngImage& img);  // [C,H,W] float in [0,1]

// The value of a text chunk, or empty when absent.
std::string png_text_value(const PngImage& img, const std::string& key);

}  // namespace ebm
