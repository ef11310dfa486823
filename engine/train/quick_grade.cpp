#include "engine/train/quick_grade.h"

#include "engine/data/cubes_renderer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

namespace ebm::train {

namespace {

constexpr double kOffHue = 0.04;       // distance from the floor's colour line that marks an object
constexpr double kBrighter = 1.04;     // brighter than the lit floor: an object (e.g. grey, beige)
constexpr int64_t kMinObjectPixels = 12;    // smaller blobs are noise, not an object (smallest object ≈ 90 px)
constexpr int64_t kMaxObjectPixels = 1500;  // the largest object covers ~700 px; more is noise or texture
// RMS distance of the object pixels from their centroid: the tallest object (~26 x 35 px) has ~12;
// pixels scattered over the whole 64x64 image (residual sampling noise, faint texture) have ~26.
// Without this bound, a grid of noisy empty floors counted as "found" (H200 run, MODEL_CARD.md).
constexpr double kMaxSpreadPx = 15.0;
constexpr int64_t kCalibScenes = 256;  // random renders the centroid → label map is fitted on
constexpr double kExactColour = 0.05;  // RGB distance under which a pixel shows a palette colour exactly

torch::Tensor floor_rgb() { return data::CubesRenderer().render_floor(1).select(0, 0).select(1, 0).select(1, 0); }

// Features of an object's pixels: its centroid (column, row scaled to ~[-1, 1]) to second order, and
// sqrt(area), because a taller object's visible centroid sits higher above its floor position.
torch::Tensor features(const torch::Tensor& c, const torch::Tensor& mask) {
  auto u = c.select(1, 0) / 32.0 - 1, v = c.select(1, 1) / 32.0 - 1;
  auto a = mask.to(torch::kFloat).sum({1, 2}).sqrt() / 16.0;
  return torch::stack({u, v, u * v, u * u, v * v, a, a * u, a * v, torch::ones_like(u)}, 1);
}

torch::Tensor centroids(const torch::Tensor& mask) {
  const auto H = mask.size(1), W = mask.size(2);
  auto m = mask.to(torch::kFloat);
  auto cols = torch::arange(W, m.options()).add(0.5).view({1, 1, W});
  auto rows = torch::arange(H, m.options()).add(0.5).view({1, H, 1});
  auto area = m.sum({1, 2}).clamp_min(1);
  return torch::stack({(m * cols).sum({1, 2}) / area, (m * rows).sum({1, 2}) / area}, 1);
}

// Per image: one object-sized, compact set of object pixels.
torch::Tensor object_found(const torch::Tensor& mask) {
  const auto H = mask.size(1), W = mask.size(2);
  auto m = mask.to(torch::kFloat);
  auto area = m.sum({1, 2});
  auto c = centroids(mask);
  auto cols = torch::arange(W, m.options()).add(0.5).view({1, 1, W});
  auto rows = torch::arange(H, m.options()).add(0.5).view({1, H, 1});
  auto du = cols - c.select(1, 0).view({-1, 1, 1}), dv = rows - c.select(1, 1).view({-1, 1, 1});
  auto spread = ((m * (du * du + dv * dv)).sum({1, 2}) / area.clamp_min(1)).sqrt();
  return (area >= kMinObjectPixels) & (area <= kMaxObjectPixels) & (spread <= kMaxSpreadPx);
}

// Least-squares map from pixel features to label positions, fitted once on random renders (fixed
// seed, no shadows): it absorbs the camera's perspective and the offset between an object's
// visible pixels and its floor position.
const torch::Tensor& position_map() {
  static torch::Tensor map;
  static std::once_flag once;
  std::call_once(once, [] {
    torch::NoGradGuard no_grad;
    auto scenes = data::sample_scenes(kCalibScenes, at::detail::createCPUGenerator(0x9a1d));
    data::RenderOptions ro;
    ro.shadow_samples = 0;
    auto mask = object_pixels(data::CubesRenderer(ro).render(scenes));
    auto x = features(centroids(mask), mask);
    auto xt = x.t();
    map = torch::inverse(xt.mm(x)).mm(xt).mm(scenes.first.pos);  // [9,2]
  });
  return map;
}

}  // namespace

std::vector<std::pair<std::string, double>> QuickGrade::values() const {
  std::vector<std::pair<std::string, double>> v{{"found", found}};
  if (position_error >= 0) v.emplace_back("position_error", position_error);
  if (color_accuracy >= 0) v.emplace_back("color_accuracy", color_accuracy);
  return v;
}

torch::Tensor objects_found(const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  return object_found(object_pixels(images.to(torch::kCPU, torch::kFloat)));
}

torch::Tensor object_pixels(const torch::Tensor& images) {
  auto img = images.to(torch::kCPU, torch::kFloat);
  auto f = floor_rgb();
  auto fn = f / f.norm();
  auto proj = (img * fn.view({1, 3, 1, 1})).sum(1);                       // [N,H,W]
  auto perp = (img - proj.unsqueeze(1) * fn.view({1, 3, 1, 1})).norm(2, 1);  // distance from the floor line
  auto k = proj / f.norm();                                                // brightness relative to lit floor
  return (perp > kOffHue) | (k > kBrighter);
}

torch::Tensor read_positions(const torch::Tensor& images) {
  auto mask = object_pixels(images);
  auto pos = features(centroids(mask), mask).mm(position_map());
  auto found = object_found(mask);
  return torch::where(found.unsqueeze(1), pos, torch::full_like(pos, std::nan("")));
}

QuickGrade quick_grade(const torch::Tensor& images, const torch::Tensor& labels, data::CubesConcept concept) {
  torch::NoGradGuard no_grad;
  QuickGrade g;
  auto img = images.to(torch::kCPU, torch::kFloat);
  auto lab = labels.to(torch::kCPU, torch::kFloat);
  auto mask = object_pixels(img);
  auto found = object_found(mask);
  const int64_t n_found = found.sum().item<int64_t>();
  g.found = static_cast<double>(n_found) / std::max<int64_t>(1, img.size(0));
  if (n_found == 0) {
    if (concept == data::CubesConcept::Position) g.position_error = 2.0;  // worst case: nothing drawn
    if (concept == data::CubesConcept::Color) g.color_accuracy = 0.0;
    return g;
  }
  if (concept == data::CubesConcept::Position) {
    auto pos = features(centroids(mask), mask).mm(position_map());
    auto err = (pos - lab).norm(2, 1);
    g.position_error = err.index({found}).mean().item<double>();
  } else if (concept == data::CubesConcept::Color) {
    // Fully lit faces show the exact palette colour (side faces are darker, edges blend with the
    // floor): vote among object pixels that match a palette colour closely; an image without such
    // pixels takes the palette colour nearest to its object's mean colour.
    const int64_t N = img.size(0);
    auto pal = data::cubes_palette();
    auto px = img.permute({0, 2, 3, 1}).reshape({N, -1, 3});              // [N,P,3]
    auto dist = torch::cdist(px, pal.unsqueeze(0).expand({N, -1, -1}));  // [N,P,20]
    auto best = dist.min(2);
    auto m = mask.reshape({N, -1});
    auto exact = (m & (std::get<0>(best) < kExactColour)).to(torch::kFloat);
    auto votes = torch::zeros({N, data::kNumColors}).scatter_add_(1, std::get<1>(best), exact);
    auto mf = m.to(torch::kFloat).unsqueeze(2);
    auto mean_rgb = (px * mf).sum(1) / mf.sum(1).clamp_min(1);
    auto fallback = torch::cdist(mean_rgb, pal).argmin(1);
    auto pred = torch::where(votes.sum(1) > 0, votes.argmax(1), fallback);
    auto right = (pred == lab.argmax(1)) & found;
    g.color_accuracy = right.sum().item<double>() / n_found;
  }
  return g;
}

}  // namespace ebm::train
