// A term's spatial mask (one H×W float texture in [0,1], shared by every sample) drawn as a
// translucent coloured layer over each cell of the grid. Drawn with alpha blending after grid.frag.
uniform sampler2D u_mask;
uniform vec4 u_color;   // overlay colour; alpha = opacity at mask value 1
uniform int u_outline;  // 1: also draw the mask's 0.5 iso-line opaque, so weak masks stay visible

void main() {
  vec2 local;
  int idx = cell_at(atlas_pos(), local);
  if (idx < 0) discard;
  float m = clamp(texture(u_mask, local).r, 0.0, 1.0);
  float a = u_color.a * m;
  if (u_outline == 1) {
    // fwidth gives the mask's change per view pixel: a band of about one pixel around m = 0.5.
    float w = max(fwidth(m), 1e-4);
    float line = 1.0 - smoothstep(0.0, 1.5 * w, abs(m - 0.5));
    a = max(a, line * 0.9);
  }
  if (a <= 0.001) discard;
  frag_color = vec4(u_color.rgb, a);
}
