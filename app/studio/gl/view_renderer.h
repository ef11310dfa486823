// ViewRenderer: draws the grid-shaped views (images, mask overlays, colormapped scalar fields) into an
// off-screen framebuffer with the shaders of shaders/. GL thread only; owns its programs and VAO.
#pragma once

#include "app/studio/gl/framebuffer.h"
#include "app/studio/gl/shader_program.h"
#include "app/studio/gl/texture.h"
#include "app/studio/grid_layout.h"

#include <array>

namespace ebm::studio::gl {

struct GridDrawParams {
  GridLayout layout;
  ViewTransform view;
  int selected = -1;
  int hovered = -1;
  std::array<float, 4> background = {0.09f, 0.09f, 0.11f, 1.f};
};

struct ColormapParams {
  float lo = 0.f, hi = 1.f;
  bool log_scale = false;
  int palette = 0;  // 0 viridis, 1 inferno
};

class ViewRenderer {
 public:
  ViewRenderer();  // compiles every view shader; throws std::runtime_error with the driver's log

  // Each call binds `target`, draws, and unbinds it; `target` is resized to (w, h) first.
  void draw_grid(Framebuffer& target, int w, int h, const Texture2D& atlas, const GridDrawParams& p);
  // Blends one H×W mask (R32F) over every cell of the grid already in `target`.
  void draw_mask_overlay(Framebuffer& target, const Texture2D& mask, const GridDrawParams& p,
                         std::array<float, 4> rgba, bool outline);
  void draw_colormap(Framebuffer& target, int w, int h, const Texture2D& field, const GridDrawParams& p,
                     const ColormapParams& c);

 private:
  void set_common(const ShaderProgram& prog, const Framebuffer& target, const GridDrawParams& p) const;
  ShaderProgram grid_, overlay_, colormap_;
  VertexArray vao_;
};

}  // namespace ebm::studio::gl
