#include "models/layers/augment.h"

#include "models/layers/preprocess.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace ebm {

namespace {

// U(lo, hi) per image, [B] on the CPU.
torch::Tensor uniform(int64_t b, double lo, double hi, torch::Generator& gen) {
  return torch::rand({b}, gen, torch::kFloat) * (hi - lo) + lo;
}

// Luminance weights (ITU-R BT.601): saturation moves each pixel towards its grey.
torch::Tensor grey(const torch::Tensor& x) {
  const auto w = torch::tensor({0.299f, 0.587f, 0.114f}, x.options()).view({1, 3, 1, 1});
  return (x * w).sum(1, /*keepdim=*/true);
}

torch::Tensor color_jitter(const torch::Tensor& x, double a, torch::Generator& gen) {
  const int64_t b = x.size(0);
  auto dev = [&](const torch::Tensor& t) { return t.to(x.device()).view({b, 1, 1, 1}); };
  const auto brightness = dev(uniform(b, 1 - a, 1 + a, gen));
  const auto contrast = dev(uniform(b, 1 - a, 1 + a, gen));
  const auto saturation = dev(uniform(b, 1 - a, 1 + a, gen));
  auto y = x * brightness;
  const auto mean = y.mean({1, 2, 3}, /*keepdim=*/true);
  y = (y - mean) * contrast + mean;
  if (x.size(1) == 3) {
    const auto g = grey(y);
    y = (y - g) * saturation + g;
  }
  return y.clamp(0.0, 1.0);
}

// One affine resampling for translate, rotate and scale: the sampling grid maps each output pixel
// to where it comes from (the inverse of the transform applied to the content).
torch::Tensor affine(const torch::Tensor& x, const AugmentOptions& o, torch::Generator& gen) {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  const auto zero = torch::zeros({b});
  const auto angle = o.rotate_deg > 0 ? uniform(b, -o.rotate_deg, o.rotate_deg, gen) * (M_PI / 180.0) : zero;
  const auto zoom = o.scale > 0 ? uniform(b, 1 - o.scale, 1 + o.scale, gen) : torch::ones({b});
  // Whole-pixel shifts, as the original's crops; in grid units (2 / side per pixel).
  auto shift = [&](int64_t side) {
    return o.translate > 0 ? torch::randint(-o.translate, o.translate + 1, {b}, gen, torch::kFloat) * (2.0 / side)
                           : zero;
  };
  const auto tx = shift(w), ty = shift(h);
  const auto c = torch::cos(angle) / zoom, s = torch::sin(angle) / zoom;
  // theta maps output (x, y) to input: R(−angle)/zoom, then the shift.
  auto theta = torch::stack({torch::stack({c, -s, -tx}, 1), torch::stack({s, c, -ty}, 1)}, 1);  // [B,2,3]
  namespace F = torch::nn::functional;
  const auto grid = F::affine_grid(theta.to(x.device(), x.scalar_type()), {b, x.size(1), h, w}, /*align_corners=*/false);
  return F::grid_sample(x, grid,
                        F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
}

torch::Tensor blur(const torch::Tensor& x, double p, torch::Generator& gen) {
  const int64_t b = x.size(0), ch = x.size(1);
  const auto k = binomial_kernel(3, x.options()).view({1, 1, 3, 3}).repeat({ch, 1, 1, 1});
  namespace F = torch::nn::functional;
  // Depthwise, edges replicated: a blur that keeps the image's size and its mean colour.
  const auto blurred = F::conv2d(F::pad(x, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate)), k,
                                 F::Conv2dFuncOptions().groups(ch));
  const auto pick = (torch::rand({b}, gen) < p).to(x.device()).view({b, 1, 1, 1});
  return torch::where(pick, blurred, x);
}

}  // namespace

std::string AugmentOptions::describe() const {
  if (!any()) return "off";
  std::ostringstream s;
  const char* sep = "";
  if (color_jitter > 0) s << sep << "colour " << color_jitter, sep = ", ";
  if (translate > 0) s << sep << "translate " << translate << " px", sep = ", ";
  if (rotate_deg > 0) s << sep << "rotate " << rotate_deg << "°", sep = ", ";
  if (scale > 0) s << sep << "scale " << scale, sep = ", ";
  if (blur > 0) s << sep << "blur " << blur;
  return s.str();
}

void AugmentOptions::validate() const {
  auto req = [](bool ok, const std::string& m) {
    if (!ok) throw std::invalid_argument(m);
  };
  req(color_jitter >= 0 && color_jitter < 1, "--augment-color must be in [0, 1)");
  req(translate >= 0 && translate <= 32, "--augment-translate must be 0 … 32 pixels");
  req(rotate_deg >= 0 && rotate_deg <= 180, "--augment-rotate must be 0 … 180 degrees");
  req(scale >= 0 && scale < 1, "--augment-scale must be in [0, 1)");
  req(blur >= 0 && blur <= 1, "--augment-blur must be a probability in [0, 1]");
}

AugmentOptions AugmentOptions::standard() {
  AugmentOptions o;
  o.color_jitter = 0.1;
  o.translate = 4;
  o.rotate_deg = 10;
  o.blur = 0.5;
  return o;
}

torch::Tensor augment_batch(const torch::Tensor& x, const AugmentOptions& opt, torch::Generator& gen) {
  opt.validate();
  if (x.dim() != 4) throw std::invalid_argument("augment_batch: images must be [B,C,H,W]");
  if (gen.device().type() != torch::kCPU)
    throw std::invalid_argument("augment_batch: pass a CPU generator so a seed augments alike on every device");
  torch::NoGradGuard no_grad;  // data, not a differentiable op
  torch::Tensor y = x;
  if (opt.geometric()) y = affine(y, opt, gen);
  if (opt.color_jitter > 0) y = color_jitter(y, opt.color_jitter, gen);
  if (opt.blur > 0) y = blur(y, opt.blur, gen);
  return y.clamp(0.0, 1.0);
}

}  // namespace ebm
