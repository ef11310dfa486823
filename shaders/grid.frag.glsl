// The live sample grid: the RGBA8 atlas under zoom/pan (nearest or linear comes from the texture's
// filter state), a checker background outside the atlas, and outlines for the hovered and selected
// samples.
uniform sampler2D u_image;
uniform int u_selected;     // selected sample, -1 for none
uniform int u_hovered;      // sample under the mouse, -1 for none
uniform vec4 u_background;

void main() {
  vec2 p = atlas_pos();
  vec2 local;
  int idx = cell_at(p, local);
  if (p.x < 0.0 || p.y < 0.0 || p.x >= u_atlas_size.x || p.y >= u_atlas_size.y) {
    // A faint checker marks "no image here" so panning off the atlas is obvious.
    float c = mod(floor(v_screen.x / 16.0) + floor(v_screen.y / 16.0), 2.0);
    frag_color = vec4(u_background.rgb * (0.85 + 0.15 * c), 1.0);
    return;
  }
  frag_color = vec4(texture(u_image, p / u_atlas_size).rgb, 1.0);
  if (idx < 0) {
    frag_color = u_background;
    return;
  }
  // Outline width of ~2 view pixels whatever the zoom.
  vec2 edge_px = min(local, 1.0 - local) * u_cell_size * u_zoom;
  bool on_edge = min(edge_px.x, edge_px.y) < 2.0;
  if (on_edge && idx == u_selected) frag_color = vec4(1.0, 0.78, 0.2, 1.0);
  else if (on_edge && idx == u_hovered) frag_color = vec4(0.85, 0.85, 0.85, 1.0);
}
