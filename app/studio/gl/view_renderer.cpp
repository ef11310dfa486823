#include "app/studio/gl/view_renderer.h"

#include "app/studio/gl/shader_sources.h"

namespace ebm::studio::gl {

std::string view_vertex_source() { return "#version 330 core\n" + shader_source("view.vert.glsl"); }

std::string view_fragment_source(const std::string& name) {
  return "#version 330 core\n" + shader_source("view_common.glsl") + "\n" + shader_source(name);
}

ViewRenderer::ViewRenderer()
    : grid_("grid", view_vertex_source(), view_fragment_source("grid.frag.glsl")),
      overlay_("mask_overlay", view_vertex_source(), view_fragment_source("mask_overlay.frag.glsl")),
      colormap_("colormap", view_vertex_source(), view_fragment_source("colormap.frag.glsl")) {}

void ViewRenderer::set_common(const ShaderProgram& prog, const Framebuffer& target, const GridDrawParams& p) const {
  prog.use();
  prog.set("u_view_size", static_cast<float>(target.width()), static_cast<float>(target.height()));
  prog.set("u_pan", p.view.pan_x, p.view.pan_y);
  prog.set("u_zoom", p.view.zoom);
  prog.set("u_atlas_size", static_cast<float>(p.layout.width()), static_cast<float>(p.layout.height()));
  prog.set("u_cell_size", static_cast<float>(p.layout.cell_w), static_cast<float>(p.layout.cell_h));
  prog.set("u_pad", static_cast<float>(p.layout.pad));
  prog.set("u_cols", p.layout.cols);
  prog.set("u_count", p.layout.count);
  prog.set("u_background", p.background[0], p.background[1], p.background[2], p.background[3]);
}

void ViewRenderer::draw_grid(Framebuffer& target, int w, int h, const Texture2D& atlas, const GridDrawParams& p) {
  target.resize(w, h);
  target.bind();
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);
  set_common(grid_, target, p);
  grid_.set("u_selected", p.selected);
  grid_.set("u_hovered", p.hovered);
  grid_.set("u_image", 0);
  atlas.bind(0);
  vao_.bind();
  glDrawArrays(GL_TRIANGLES, 0, 3);
  glBindVertexArray(0);
  Framebuffer::unbind();
  check_log("ViewRenderer::draw_grid");
}

void ViewRenderer::draw_mask_overlay(Framebuffer& target, const Texture2D& mask, const GridDrawParams& p,
                                     std::array<float, 4> rgba, bool outline) {
  if (!target.valid()) return;
  target.bind();
  glDisable(GL_SCISSOR_TEST);
  glEnable(GL_BLEND);
  glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ZERO, GL_ONE);  // keep the FBO opaque
  set_common(overlay_, target, p);
  overlay_.set("u_mask", 0);
  overlay_.set("u_color", rgba[0], rgba[1], rgba[2], rgba[3]);
  overlay_.set("u_outline", outline ? 1 : 0);
  mask.bind(0);
  vao_.bind();
  glDrawArrays(GL_TRIANGLES, 0, 3);
  glBindVertexArray(0);
  glDisable(GL_BLEND);
  Framebuffer::unbind();
  check_log("ViewRenderer::draw_mask_overlay");
}

void ViewRenderer::draw_colormap(Framebuffer& target, int w, int h, const Texture2D& field,
                                 const GridDrawParams& p, const ColormapParams& c) {
  target.resize(w, h);
  target.bind();
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);
  set_common(colormap_, target, p);
  colormap_.set("u_field", 0);
  colormap_.set("u_lo", c.lo);
  colormap_.set("u_hi", c.hi);
  colormap_.set("u_log", c.log_scale ? 1 : 0);
  colormap_.set("u_palette", c.palette);
  field.bind(0);
  vao_.bind();
  glDrawArrays(GL_TRIANGLES, 0, 3);
  glBindVertexArray(0);
  Framebuffer::unbind();
  check_log("ViewRenderer::draw_colormap");
}

}  // namespace ebm::studio::gl
