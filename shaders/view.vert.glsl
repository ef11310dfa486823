// Full-view triangle for every view pass. No vertex buffer: the three corners come from gl_VertexID
// and cover the viewport. v_screen is the fragment's position in view pixels, y growing downwards,
// written so that FBO row 0 holds the view's top row (ImGui then shows the texture unflipped).
uniform vec2 u_view_size;  // view size in pixels
out vec2 v_screen;

void main() {
  vec2 ndc = vec2((gl_VertexID == 1) ? 3.0 : -1.0, (gl_VertexID == 2) ? 3.0 : -1.0);
  v_screen = (ndc * 0.5 + 0.5) * u_view_size;
  gl_Position = vec4(ndc, 0.0, 1.0);
}
