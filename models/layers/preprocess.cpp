#include "models/layers/preprocess.h"
#include "models/layers/functional.h"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ebm {

torch::Tensor binomial_kernel(int size, torch::TensorOptions opts) {
  torch::Tensor k1;
  double norm = 0;
  if (size == 3) {
    k1 = torch::tensor({1.0f, 2.0f, 1.0f}, opts.dtype(torch::kFloat));
    norm = 16.0;
  } else if (size == 5) {
    k1 = torch::tensor({1.0f, 4.0f, 6.0f, 4.0f, 1.0f}, opts.dtype(torch::kFloat));
    norm = 256.0;
  } else {
    throw std::invalid_argument("binomial blur kernel size must be 3 or 5, got " + std::to_string(size));
  }
  k1 = k1.to(opts.device());
  return (k1.unsqueeze(1) * k1.unsqueeze(0)) / norm;
}

torch::Tensor antialias_downsample(const torch::Tensor& x, int size) {
  if (x.dim() != 4) throw std::invalid_argument("antialias expects an NCHW image batch");
  const auto C = x.size(1);
  auto k = binomial_kernel(size, x.options()).to(x.dtype());
  auto w = k.expand({C, C, size, size});
  auto ph = tf_same_pad(x.size(2), size, 2);
  auto pw = tf_same_pad(x.size(3), size, 2);
  namespace F = torch::nn::functional;
  auto padded = F::pad(x, F::PadFuncOptions({pw.first, pw.second, ph.first, ph.second}));
  return F::conv2d(padded, w, F::Conv2dFuncOptions().stride(2));
}

const std::array<int, kNumRotationAngles> kRotationAnglesDeg = {
    -10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0, 0, 0};

int TransformDraw::angle_deg() const {
  validate();
  return kRotationAnglesDeg[static_cast<size_t>(angle_index)];
}

std::string TransformDraw::describe() const {
  std::ostringstream os;
  os << "jitter1=(" << jitter1_y << "," << jitter1_x << ") angle_index=" << angle_index << " jitter2=(" << jitter2_y
     << "," << jitter2_x << ")";
  return os.str();
}

void TransformDraw::validate() const {
  auto in = [](int v, int hi) { return v >= 0 && v <= hi; };
  if (!in(jitter1_y, kAugmentJitter1) || !in(jitter1_x, kAugmentJitter1))
    throw std::invalid_argument("transform draw: first jitter offsets must be in [0, 4] (" + describe() + ")");
  if (!in(jitter2_y, kAugmentJitter2) || !in(jitter2_x, kAugmentJitter2))
    throw std::invalid_argument("transform draw: second jitter offsets must be in [0, 2] (" + describe() + ")");
  if (!in(angle_index, kNumRotationAngles - 1))
    throw std::invalid_argument("transform draw: angle_index must be in [0, 25] (" + describe() + ")");
}

namespace {
int draw_int(torch::Generator& gen, int hi_exclusive) {
  return static_cast<int>(torch::randint(0, hi_exclusive, {1}, gen, torch::kLong).item<int64_t>());
}
}  // namespace

TransformDraw draw_standard_transform(torch::Generator& gen) {
  TransformDraw d;
  d.jitter1_y = draw_int(gen, kAugmentJitter1 + 1);
  d.jitter1_x = draw_int(gen, kAugmentJitter1 + 1);
  d.angle_index = draw_int(gen, kNumRotationAngles);
  d.jitter2_y = draw_int(gen, kAugmentJitter2 + 1);
  d.jitter2_x = draw_int(gen, kAugmentJitter2 + 1);
  return d;
}

torch::Tensor jitter_crop(const torch::Tensor& x, int d, int oy, int ox) {
  const auto H = x.size(2), W = x.size(3);
  if (H <= d || W <= d) throw std::invalid_argument("jitter crop larger than the image");
  return x.narrow(2, oy, H - d).narrow(3, ox, W - d);
}

torch::Tensor rotate_nearest(const torch::Tensor& x, int deg) {
  if (deg == 0) return x;
  const auto B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  // Same operation order and precision as the reference (double scalars, float32 grid).
  const double a = 3.14 * deg / 180.0;
  const double c = std::cos(a), s = std::sin(a);
  const double xo = ((W - 1) - (c * (W - 1) - s * (H - 1))) / 2.0;
  const double yo = ((H - 1) - (s * (W - 1) + c * (H - 1))) / 2.0;
  auto fopt = torch::TensorOptions().dtype(torch::kFloat);
  auto grid = torch::meshgrid({torch::arange(H, fopt), torch::arange(W, fopt)}, "ij");
  const auto& ys = grid[0];
  const auto& xs = grid[1];
  auto xin = xs * c - ys * s + xo;
  auto yin = xs * s + ys * c + yo;
  // TF rounds half away from zero.
  auto xi = torch::sign(xin) * torch::floor(xin.abs() + 0.5);
  auto yi = torch::sign(yin) * torch::floor(yin.abs() + 0.5);
  auto valid = (xi >= 0) & (xi <= W - 1) & (yi >= 0) & (yi <= H - 1);
  auto idx = (yi.clamp(0, H - 1) * W + xi.clamp(0, W - 1)).to(torch::kLong).view({-1}).to(x.device());
  auto out = x.flatten(2).index_select(2, idx).view({B, C, H, W});
  return out * valid.to(x.device(), x.scalar_type());
}

torch::Tensor apply_standard_transforms(const torch::Tensor& x, const TransformDraw& draw) {
  draw.validate();
  if (x.dim() != 4) throw std::invalid_argument("augment_vis expects an NCHW image batch");
  namespace F = torch::nn::functional;
  auto h = F::pad(x, F::PadFuncOptions({kAugmentPad, kAugmentPad, kAugmentPad, kAugmentPad})
                         .mode(torch::kConstant)
                         .value(0.5));
  h = jitter_crop(h, kAugmentJitter1, draw.jitter1_y, draw.jitter1_x);
  h = rotate_nearest(h, draw.angle_deg());
  return jitter_crop(h, kAugmentJitter2, draw.jitter2_y, draw.jitter2_x);
}

torch::Tensor comb_mask_split(const torch::Tensor& x, const torch::Tensor& mask, bool reshape_quirk) {
  if (!mask.defined())
    throw std::invalid_argument("this model uses comb_mask: pass an attention mask [B, cond_func, H, W] of logits");
  if (x.dim() != 4 || mask.dim() != 4 || mask.size(0) != x.size(0) || mask.size(2) != x.size(2) ||
      mask.size(3) != x.size(3))
    throw std::invalid_argument("comb_mask: attention mask must be [B, K, H, W] matching the image's batch and size");
  const auto B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), K = mask.size(1);
  auto m = torch::softmax(mask, 1).permute({0, 2, 3, 1}).reshape({B, 1, H, W, K});
  auto p = (x.reshape({B, C, H, W, 1}) * m).permute({0, 4, 1, 2, 3}).contiguous();  // [B,K,C,H,W]
  if (reshape_quirk) return p.reshape({B * K, H, W, C}).permute({0, 3, 1, 2});
  return p.reshape({B * K, C, H, W});
}

torch::Tensor comb_mask_merge(const torch::Tensor& energies, int64_t batch, int64_t k) {
  if (energies.numel() != batch * k)
    throw std::logic_error("comb_mask: expected " + std::to_string(batch * k) + " energies");
  return energies.view({batch, k}).sum(1, /*keepdim=*/true);
}

}  // namespace ebm
