// The Read panel's edit box (issue #29): a rectangle on the image to edit from, in fractions of its
// width and height. Inside it the edit redraws; outside it the image is held (SamplerParams::
// init_region: each step puts the outside back to the image, noised as the chain is then).
#pragma once

#include <cstdint>
#include <string>

namespace at {
class Tensor;  // torch::Tensor: ui_state.h holds an EditBox without pulling in Torch
}

namespace ebm::studio {

struct EditBox {
  float x0 = 0.25f, y0 = 0.25f, x1 = 0.75f, y1 = 0.75f;  // left, top, right, bottom in [0, 1]

  // The box with its corners ordered and clamped to [0, 1] (a drag may run either way or off the image).
  EditBox normalized() const;
  // Whether the box covers at least one pixel of an image `side` pixels a side.
  bool covers_a_pixel(std::int64_t side) const;
  std::string describe() const;  // "x 0.20-0.55, y 0.10-0.40"
};

// The region of `box` on an H×W image: [1,H,W] float, 1 on the pixels whose centres lie inside.
// Throws std::invalid_argument when it covers no pixel (an edit that could change nothing).
at::Tensor region_of_box(const EditBox& box, std::int64_t height, std::int64_t width);

}  // namespace ebm::studio
