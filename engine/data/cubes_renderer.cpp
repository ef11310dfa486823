#include "engine/data/cubes_renderer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace ebm::data {

namespace {

using torch::Tensor;
using V3 = std::array<double, 3>;

constexpr double kPi = 3.14159265358979323846;
constexpr double kElevationDeg = 55.0;      // camera pitch below the horizon
constexpr double kCameraDistance = 10.0;    // far enough that perspective stays mild
constexpr V3 kLookAt = {0.0, 0.15, 0.35};   // a little behind and above the floor centre
constexpr double kFrameMargin = 0.94;       // largest |NDC| of any object corner after fitting
constexpr double kAmbient = 0.35;           // light on faces turned away from the lamp
constexpr V3 kFloorAlbedo = {0.36, 0.38, 0.42};  // slate grey: differs from every palette colour
constexpr double kShadowSoftness = 8.0;     // iq-style penumbra factor: larger = harder edges
constexpr double kShadowStart = 0.03, kShadowEnd = 2.6;  // march range along the light (world units)
constexpr double kMiss = 1e9;               // "no hit" ray parameter (finite: keeps arithmetic NaN-free)

V3 sub(const V3& a, const V3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
double dot(const V3& a, const V3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
V3 cross(const V3& a, const V3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
V3 normalize(const V3& a) {
  const double n = std::sqrt(dot(a, a));
  return {a[0] / n, a[1] / n, a[2] / n};
}

// Direction toward the lamp: front-left and high, so shadows fall back-right, visible behind objects.
const V3 kLight = normalize({-0.45, -0.30, 0.84});

// Per-scene object geometry broadcastable against [1, P] rays: every field [B, 1].
struct Geom {
  Tensor cx, cy, h;  // centre on the floor (world), half extent
  Tensor shape;      // int64
};

Geom geom_of(const CubesObjects& o) {
  Geom g;
  g.cx = (o.pos.select(1, 0) * CubesRenderer::kPositionScale).unsqueeze(1);
  g.cy = (o.pos.select(1, 1) * CubesRenderer::kPositionScale).unsqueeze(1);
  g.h = (o.size * CubesRenderer::kSizeScale).unsqueeze(1);
  g.shape = o.shape.unsqueeze(1);
  return g;
}

struct Rays {
  double ox, oy, oz;
  Tensor dx, dy, dz;  // [1, P]
};

struct Hit {
  Tensor t;           // [B, P], kMiss where the ray misses
  Tensor nx, ny, nz;  // unit normal at the hit
};

Hit hit_sphere(const Rays& r, const Geom& g) {
  auto ocx = r.ox - g.cx, ocy = r.oy - g.cy, ocz = r.oz - g.h;  // sphere centre at height h
  auto b = r.dx * ocx + r.dy * ocy + r.dz * ocz;
  auto c = ocx * ocx + ocy * ocy + ocz * ocz - g.h * g.h;
  auto disc = b * b - c;
  auto t = -b - disc.clamp_min(0).sqrt();
  auto ok = (disc > 0) & (t > 0);
  auto inv = 1.0 / g.h;
  return {torch::where(ok, t, torch::full_like(t, kMiss)), (ocx + t * r.dx) * inv, (ocy + t * r.dy) * inv,
          (ocz + t * r.dz) * inv};
}

Hit hit_box(const Rays& r, const Geom& g) {
  // Slab test on the axis-aligned cube [cx±h] × [cy±h] × [0, 2h].
  auto slab = [](double o, const Tensor& d, const Tensor& lo, const Tensor& hi) {
    auto inv = 1.0 / d;
    auto t1 = (lo - o) * inv, t2 = (hi - o) * inv;
    return std::make_pair(torch::minimum(t1, t2), torch::maximum(t1, t2));
  };
  auto [nxs, fxs] = slab(r.ox, r.dx, g.cx - g.h, g.cx + g.h);
  auto [nys, fys] = slab(r.oy, r.dy, g.cy - g.h, g.cy + g.h);
  auto [nzs, fzs] = slab(r.oz, r.dz, torch::zeros_like(g.h), 2 * g.h);
  auto enter = torch::maximum(torch::maximum(nxs, nys), nzs);
  auto exit = torch::minimum(torch::minimum(fxs, fys), fzs);
  auto ok = (enter < exit) & (enter > 0);
  auto is_x = (nxs >= nys) & (nxs >= nzs);
  auto is_y = (~is_x) & (nys >= nzs);
  auto is_z = (~is_x) & (~is_y);
  auto nx = is_x.to(torch::kFloat) * -torch::sign(r.dx);
  auto ny = is_y.to(torch::kFloat) * -torch::sign(r.dy);
  auto nz = is_z.to(torch::kFloat) * -torch::sign(r.dz);
  return {torch::where(ok, enter, torch::full_like(enter, kMiss)), nx, ny, nz};
}

Hit hit_cylinder(const Rays& r, const Geom& g) {
  // Vertical cylinder of radius h, height 2h: side (quadratic in x, y) and top cap.
  auto ocx = r.ox - g.cx, ocy = r.oy - g.cy;
  auto a = r.dx * r.dx + r.dy * r.dy;
  auto b = r.dx * ocx + r.dy * ocy;
  auto c = ocx * ocx + ocy * ocy - g.h * g.h;
  auto disc = b * b - a * c;
  auto ts = (-b - disc.clamp_min(0).sqrt()) / a;
  auto zs = r.oz + ts * r.dz;
  auto side = (disc > 0) & (ts > 0) & (zs >= 0) & (zs <= 2 * g.h);
  auto tt = (2 * g.h - r.oz) / r.dz;
  auto px = ocx + tt * r.dx, py = ocy + tt * r.dy;
  auto top = (px * px + py * py <= g.h * g.h) & (tt > 0);
  auto t_side = torch::where(side, ts, torch::full_like(ts, kMiss));
  auto t_top = torch::where(top, tt, torch::full_like(tt, kMiss));
  auto use_top = t_top < t_side;
  auto t = torch::minimum(t_side, t_top);
  auto inv = 1.0 / g.h;
  auto nx = torch::where(use_top, torch::zeros_like(t), (ocx + ts * r.dx) * inv);
  auto ny = torch::where(use_top, torch::zeros_like(t), (ocy + ts * r.dy) * inv);
  auto nz = use_top.to(torch::kFloat);
  return {t, nx, ny, nz};
}

Hit hit_object(const Rays& r, const Geom& g) {
  Hit b = hit_box(r, g), s = hit_sphere(r, g), c = hit_cylinder(r, g);
  auto is_box = g.shape == 0, is_sph = g.shape == 1;
  auto pick = [&](const Tensor& vb, const Tensor& vs, const Tensor& vc) {
    return torch::where(is_box, vb, torch::where(is_sph, vs, vc));
  };
  return {pick(b.t, s.t, c.t), pick(b.nx, s.nx, c.nx), pick(b.ny, s.ny, c.ny), pick(b.nz, s.nz, c.nz)};
}

// Signed distance from points [B, P] to the object (negative inside).
Tensor sdf_object(const Tensor& qx, const Tensor& qy, const Tensor& qz, const Geom& g) {
  auto px = qx - g.cx, py = qy - g.cy, pz = qz - g.h;  // relative to the object's centre
  auto sphere = (px * px + py * py + pz * pz).sqrt() - g.h;
  auto ax = px.abs() - g.h, ay = py.abs() - g.h, az = pz.abs() - g.h;
  auto outside = (ax.clamp_min(0).square() + ay.clamp_min(0).square() + az.clamp_min(0).square()).sqrt();
  auto box = outside + torch::maximum(torch::maximum(ax, ay), az).clamp_max(0);
  auto rr = (px * px + py * py).sqrt() - g.h;
  auto cyl = torch::maximum(rr, az).clamp_max(0) + (rr.clamp_min(0).square() + az.clamp_min(0).square()).sqrt();
  return torch::where(g.shape == 0, box, torch::where(g.shape == 1, sphere, cyl));
}

// Soft shadow factor in [0, 1] (1 = fully lit) cast by one object on points [B, P]: march toward
// the lamp and keep the smallest ratio of clearance to distance travelled (a cone test).
Tensor soft_shadow(const Tensor& px, const Tensor& py, const Tensor& pz, const Geom& g, int samples) {
  Tensor lit = torch::ones_like(px);
  for (int i = 1; i <= samples; ++i) {  // loop over march samples; each is a whole-batch op
    const double t = kShadowStart + (kShadowEnd - kShadowStart) * i / samples;
    auto d = sdf_object(px + t * kLight[0], py + t * kLight[1], pz + t * kLight[2], g);
    lit = torch::minimum(lit, (kShadowSoftness * d / t).clamp(0, 1));
  }
  return lit * lit * (3 - 2 * lit);  // smoothstep: a softer penumbra edge
}

}  // namespace

CubesRenderer::CubesRenderer(RenderOptions opt) : opt_(opt) {
  if (opt_.image_size < 8 || opt_.image_size > 1024)
    throw std::invalid_argument("render: image size must be in [8, 1024], got " + std::to_string(opt_.image_size));
  if (opt_.supersample < 1 || opt_.supersample > 8)
    throw std::invalid_argument("render: supersample must be in [1, 8], got " + std::to_string(opt_.supersample));
  if (opt_.shadow_samples < 0 || opt_.shadow_samples > 256)
    throw std::invalid_argument("render: shadow samples must be in [0, 256]");
  const double el = kElevationDeg * kPi / 180.0;
  eye_ = {kLookAt[0], kLookAt[1] - kCameraDistance * std::cos(el), kLookAt[2] + kCameraDistance * std::sin(el)};
  fwd_ = normalize(sub(kLookAt, eye_));
  right_ = normalize(cross(fwd_, {0, 0, 1}));
  up_ = cross(right_, fwd_);
  // Fit the field of view: every corner of the biggest object at every extreme position inside.
  tan_half_fov_ = 1.0;
  double worst = 0;
  const double h = kMaxSize * kSizeScale;
  for (double x : {-1.0, 1.0})
    for (double y : {-1.0, 1.0})
      for (double dx : {-h, h})
        for (double dy : {-h, h})
          for (double z : {0.0, 2 * h}) {
            auto p = project(x * kPositionScale + dx, y * kPositionScale + dy, z);
            const double n = opt_.image_size / 2.0;
            worst = std::max({worst, std::fabs(p[0] / n - 1), std::fabs(p[1] / n - 1)});
          }
  tan_half_fov_ = worst / kFrameMargin;
}

std::array<double, 3> CubesRenderer::object_center(double label_x, double label_y, double size, int shape) {
  (void)shape;  // every shape is centred at half its height: cube, sphere and cylinder alike
  return {label_x * kPositionScale, label_y * kPositionScale, size * kSizeScale};
}

std::array<double, 2> CubesRenderer::project(double wx, double wy, double wz) const {
  const V3 v = sub({wx, wy, wz}, eye_);
  const double depth = dot(v, fwd_);
  const double nx = dot(v, right_) / depth / tan_half_fov_;
  const double ny = dot(v, up_) / depth / tan_half_fov_;
  const double n = opt_.image_size / 2.0;
  return {(nx + 1) * n, (1 - ny) * n};
}

torch::Tensor CubesRenderer::render_floor(int64_t n, const torch::Device& device) const {
  auto floor = torch::tensor({kFloorAlbedo[0], kFloorAlbedo[1], kFloorAlbedo[2]}, torch::kFloat).to(device);
  return floor.view({1, 3, 1, 1}).expand({n, 3, opt_.image_size, opt_.image_size}).clone();
}

torch::Tensor CubesRenderer::render(const CubesScenes& scenes) const {
  scenes.validate();
  const int64_t B = scenes.batch();
  const auto dev = scenes.first.pos.device();
  const int S = opt_.image_size * opt_.supersample;
  auto fopt = torch::TensorOptions().dtype(torch::kFloat).device(dev);
  if (B == 0) return torch::empty({0, 3, opt_.image_size, opt_.image_size}, fopt);

  // Primary rays through the centres of the supersampled pixels, shared by the whole batch.
  auto coords = (torch::arange(S, fopt) + 0.5) / S * 2 - 1;  // NDC, left→right / top→bottom
  auto ndc_x = coords.view({1, S}).expand({S, S}).reshape({1, -1}) * tan_half_fov_;
  auto ndc_y = -coords.view({S, 1}).expand({S, S}).reshape({1, -1}) * tan_half_fov_;
  auto dx = fwd_[0] + ndc_x * right_[0] + ndc_y * up_[0];
  auto dy = fwd_[1] + ndc_x * right_[1] + ndc_y * up_[1];
  auto dz = fwd_[2] + ndc_x * right_[2] + ndc_y * up_[2];
  auto inv_len = (dx * dx + dy * dy + dz * dz).rsqrt();
  Rays rays{eye_[0], eye_[1], eye_[2], dx * inv_len, dy * inv_len, dz * inv_len};

  std::vector<const CubesObjects*> objs{&scenes.first};
  if (scenes.second) objs.push_back(&*scenes.second);
  std::vector<Geom> geoms;
  std::vector<Hit> hits;
  for (auto* o : objs) {
    geoms.push_back(geom_of(*o));
    hits.push_back(hit_object(rays, geoms.back()));
  }

  // Floor: every ray points downward (the camera looks down), so it always hits z = 0.
  auto t_floor = (-rays.oz / rays.dz).expand({B, -1});
  auto fx = rays.ox + t_floor * rays.dx, fy = rays.oy + t_floor * rays.dy;
  auto fz = torch::zeros_like(fx);
  auto floor_lit = torch::ones_like(fx);
  for (const auto& g : geoms) floor_lit = floor_lit * soft_shadow(fx, fy, fz, g, opt_.shadow_samples);
  auto floor_rgb = torch::tensor({kFloorAlbedo[0], kFloorAlbedo[1], kFloorAlbedo[2]}, fopt).view({1, 3, 1});
  Tensor image = floor_rgb * (kAmbient + (1 - kAmbient) * floor_lit).unsqueeze(1);  // [B,3,P]
  Tensor nearest = t_floor;

  auto palette = cubes_palette().to(dev);
  const double diffuse = (1 - kAmbient) / kLight[2];  // an upward face shows exactly its palette colour
  for (size_t k = 0; k < objs.size(); ++k) {
    const Hit& h = hits[k];
    auto px = rays.ox + h.t * rays.dx, py = rays.oy + h.t * rays.dy, pz = rays.oz + h.t * rays.dz;
    auto lit = torch::ones_like(h.t);
    for (size_t j = 0; j < objs.size(); ++j)  // shadows from the other object only
      if (j != k) lit = lit * soft_shadow(px, py, pz, geoms[j], opt_.shadow_samples);
    auto lambert = (h.nx * kLight[0] + h.ny * kLight[1] + h.nz * kLight[2]).clamp_min(0);
    auto shade = (kAmbient + diffuse * lambert * lit).clamp(0, 1);
    auto albedo = palette.index_select(0, objs[k]->color).unsqueeze(2);  // [B,3,1]
    auto rgb = albedo * shade.unsqueeze(1);
    auto in_front = (h.t < nearest).unsqueeze(1);
    image = torch::where(in_front, rgb, image);
    nearest = torch::minimum(nearest, h.t);
  }
  image = image.view({B, 3, S, S});
  if (opt_.supersample > 1) image = torch::avg_pool2d(image, opt_.supersample);
  return image.clamp(0, 1).contiguous();
}

}  // namespace ebm::data
