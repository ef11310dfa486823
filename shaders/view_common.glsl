// Shared by the view fragment shaders (prepended by the loader, after the #version line): the mapping
// from view pixels to atlas pixels (zoom/pan) and the grid's cell arithmetic, the same formulas as
// app/studio/grid_layout.h so the mouse hit test and the picture agree.
uniform vec2 u_pan;         // atlas pixel at the view's top-left corner
uniform float u_zoom;       // view pixels per atlas pixel
uniform vec2 u_atlas_size;  // atlas size in pixels
uniform vec2 u_cell_size;   // one sample's size in atlas pixels
uniform float u_pad;        // padding between cells in atlas pixels
uniform int u_cols;
uniform int u_count;

in vec2 v_screen;
out vec4 frag_color;

vec2 atlas_pos() { return u_pan + v_screen / u_zoom; }

// Index of the cell under atlas position p, or -1 on padding/outside; `local` gets the position
// inside the cell in [0,1]^2.
int cell_at(vec2 p, out vec2 local) {
  local = vec2(0.0);
  if (p.x < u_pad || p.y < u_pad) return -1;
  vec2 stride = u_cell_size + vec2(u_pad);
  vec2 q = p - vec2(u_pad);
  ivec2 cr = ivec2(floor(q / stride));
  vec2 within = q - vec2(cr) * stride;
  if (cr.x >= u_cols || within.x >= u_cell_size.x || within.y >= u_cell_size.y) return -1;
  int idx = cr.y * u_cols + cr.x;
  if (idx >= u_count) return -1;
  local = within / u_cell_size;
  return idx;
}
