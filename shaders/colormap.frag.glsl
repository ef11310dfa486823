// A scalar field per sample (gradient magnitude, learned attention masks) laid out as an R32F atlas
// like the image grid, mapped through viridis or inferno between u_lo and u_hi (optionally on a log
// scale). The colour stops are the published matplotlib colormap values at 0, 0.1, …, 1.
uniform sampler2D u_field;
uniform float u_lo;
uniform float u_hi;
uniform int u_log;       // 1: map log10(v) between log10(lo) and log10(hi)
uniform int u_palette;   // 0 viridis, 1 inferno
uniform vec4 u_background;

const vec3 VIRIDIS[11] = vec3[11](
    vec3(0.267, 0.004, 0.329), vec3(0.282, 0.141, 0.459), vec3(0.255, 0.267, 0.529),
    vec3(0.208, 0.373, 0.553), vec3(0.165, 0.471, 0.557), vec3(0.129, 0.569, 0.549),
    vec3(0.133, 0.659, 0.518), vec3(0.267, 0.749, 0.439), vec3(0.478, 0.820, 0.318),
    vec3(0.741, 0.875, 0.149), vec3(0.992, 0.906, 0.145));
const vec3 INFERNO[11] = vec3[11](
    vec3(0.000, 0.000, 0.016), vec3(0.086, 0.043, 0.224), vec3(0.259, 0.039, 0.408),
    vec3(0.416, 0.090, 0.431), vec3(0.576, 0.149, 0.404), vec3(0.737, 0.216, 0.329),
    vec3(0.867, 0.318, 0.227), vec3(0.953, 0.471, 0.098), vec3(0.988, 0.647, 0.039),
    vec3(0.965, 0.843, 0.275), vec3(0.988, 1.000, 0.643));

vec3 palette(float t) {
  t = clamp(t, 0.0, 1.0) * 10.0;
  int i = int(min(floor(t), 9.0));
  float f = t - float(i);
  return u_palette == 1 ? mix(INFERNO[i], INFERNO[i + 1], f) : mix(VIRIDIS[i], VIRIDIS[i + 1], f);
}

void main() {
  vec2 p = atlas_pos();
  vec2 local;
  int idx = cell_at(p, local);
  if (idx < 0) {
    frag_color = u_background;
    return;
  }
  float v = texture(u_field, p / u_atlas_size).r;
  float t;
  if (u_log == 1) {
    float lo = log(max(u_lo, 1e-12)), hi = log(max(u_hi, 2e-12));
    t = (log(max(v, 1e-12)) - lo) / max(hi - lo, 1e-12);
  } else {
    t = (v - u_lo) / max(u_hi - u_lo, 1e-12);
  }
  frag_color = vec4(palette(t), 1.0);
}
