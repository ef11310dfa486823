// PNG images (what a user may drop into the studio as a mask or a reference): load_png reads from a
// path, so the input goes through a scratch file. Invariant on acceptance: a [1, C, H, W] float
// tensor with values in [0, 1].
#include "engine/image/image_io.h"
#include "fuzz/harnesses.h"
#include "fuzz/scratch.h"
#include "models/checkpoint/atomic_file.h"

#include <cstdio>
#include <cstdlib>

namespace ebm::fuzz {

namespace {

void check_image(const torch::Tensor& t, int channels) {
  const bool ok = t.dim() == 4 && t.size(0) == 1 && t.size(1) == channels && t.size(2) > 0 && t.size(3) > 0 &&
                  t.scalar_type() == torch::kFloat32 && t.min().item<float>() >= 0.0f && t.max().item<float>() <= 1.0f;
  if (!ok) {
    std::fprintf(stderr, "load_png returned a tensor of shape %s outside its contract\n", c10::str(t.sizes()).c_str());
    std::abort();
  }
}

}  // namespace

void png_image_input(const std::uint8_t* data, std::size_t size) {
  const std::string path =
      write_scratch("image.png", std::string_view(reinterpret_cast<const char*>(data), size));
  for (int channels : {3, 1}) {
    try {
      check_image(load_png(path, channels), channels);
    } catch (const ImageError&) {
    } catch (const FileError&) {
    }
  }
}

}  // namespace ebm::fuzz
