// Procedural cubes renderer: batched, analytic ray casting of one or two objects (box, sphere,
// cylinder) on a floor, seen by a fixed perspective camera looking down at 55°. Lambert shading
// with ambient light, and soft shadows from a signed-distance march toward the light.
//
// Everything is written as whole-batch tensor ops over [B, pixels] (no per-pixel C++ loops), so the
// same code renders on the CPU (tests, `ebm render`) and on the GPU (training data). Given the same
// scene parameters the output depends only on them: scenes drawn from a seeded CPU generator
// (sample_scenes) give the same images everywhere, up to float rounding between devices.
//
// World layout (our own; the original's MuJoCo scenes cannot be reproduced exactly):
//   floor z = 0; an object at label position (x, y) stands at world (0.75·x, 0.75·y); its half
//   extent is 1.1·size (a box is a cube of side 2.2·size, a cylinder has radius 1.1·size and height
//   2.2·size, a sphere radius 1.1·size resting on the floor). The camera is fitted so that every
//   object of every label stays fully inside the frame: the smallest object spans ~11 px of a
//   64 px image, the largest ~26 px. Image rows go from far (top) to near (bottom); +x is right,
//   +y is away from the camera (up in the image).
// Lit faces: shading = ambient + diffuse·max(n·l, 0), scaled so an upward face is exactly its
// palette colour; sides are darker, shadows fall back-right.
#pragma once

#include "engine/data/cubes_scene.h"

#include <torch/torch.h>

#include <array>

namespace ebm::data {

struct RenderOptions {
  int image_size = 64;
  int supersample = 2;      // render at image_size·supersample and box-filter: antialiased edges
  int shadow_samples = 24;  // points of the shadow march toward the light (batched, per sample)
};

class CubesRenderer {
 public:
  explicit CubesRenderer(RenderOptions opt = {});

  // Renders on the scenes' device: [B, 3, image_size, image_size] float in [0, 1].
  // Throws std::invalid_argument when the scene tensors are malformed or out of range.
  torch::Tensor render(const CubesScenes& scenes) const;
  // An empty floor (B copies), for object masks in tests and graders.
  torch::Tensor render_floor(int64_t n, const torch::Device& device = torch::kCPU) const;

  // Pixel coordinates (column, row), continuous in [0, image_size], of a world point.
  std::array<double, 2> project(double wx, double wy, double wz) const;
  // World point of an object's centre for a label position and size (see the layout above).
  static std::array<double, 3> object_center(double label_x, double label_y, double size, int shape);

  const RenderOptions& options() const { return opt_; }

  // Layout constants (documented above).
  static constexpr double kPositionScale = 0.75;
  static constexpr double kSizeScale = 1.1;

 private:
  RenderOptions opt_;
  std::array<double, 3> eye_{}, fwd_{}, right_{}, up_{};
  double tan_half_fov_ = 0.2;
};

}  // namespace ebm::data
