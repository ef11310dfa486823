#include "engine/data/pair_visibility.h"

#include <stdexcept>

namespace ebm::data {

torch::Tensor least_visible_share(const CubesRenderer& renderer, const CubesScenes& pairs) {
  if (!pairs.second) throw std::invalid_argument("least_visible_share: the scenes hold one object each, not two");
  torch::NoGradGuard no_grad;
  // Without shadows a pixel that differs from the floor is the object's own: a shadow cast on the
  // floor beside the other object would otherwise count as the other object hiding this one.
  RenderOptions flat_options = renderer.options();
  flat_options.shadow_samples = 0;
  const CubesRenderer flat(flat_options);
  const auto both = flat.render(pairs);
  const auto a = flat.render(CubesScenes{pairs.first, std::nullopt});
  const auto b = flat.render(CubesScenes{*pairs.second, std::nullopt});
  const auto floor = flat.render_floor(pairs.batch(), both.device());
  // Colour distance summed over channels; 0.05 is well above float noise and below any object's
  // contrast with the floor.
  auto dist = [](const torch::Tensor& x, const torch::Tensor& y) { return (x - y).abs().sum(1); };
  const auto mask_a = dist(a, floor) > 0.05, mask_b = dist(b, floor) > 0.05;
  // Where both could show, the pair's pixel is the nearer object's: closer to that object's own render.
  const auto to_a = dist(both, a), to_b = dist(both, b);
  const auto shows_a = to_a < to_b, shows_b = to_b < to_a;
  auto share = [](const torch::Tensor& shown, const torch::Tensor& mask) {
    return (shown & mask).sum({1, 2}).to(torch::kFloat) / mask.sum({1, 2}).clamp_min(1).to(torch::kFloat);
  };
  return torch::min(share(shows_a, mask_a), share(shows_b, mask_b));
}

}  // namespace ebm::data
