#include "engine/sampling/chain_init.h"

#include "engine/rng/counter_rng.h"

#include <stdexcept>

namespace ebm {

namespace {
torch::Tensor per_sample_view(const torch::Tensor& v, std::int64_t dims) {
  std::vector<std::int64_t> shape(static_cast<size_t>(dims), 1);
  shape[0] = v.size(0);
  return v.view(shape);
}
}  // namespace

std::uint32_t term_stream(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

torch::Tensor noise_start_mean(const CompiledComposition& comp) {
  // Mean over the active denoising terms' training-image means: a composition's concepts share one
  // dataset, and a ladder started elsewhere (0.5 is brighter than the cubes floor) draws larger,
  // paler objects (MODEL_CARD.md).
  const std::int64_t channels = comp.channels();
  torch::Tensor sum = torch::zeros({channels, 1, 1});
  int n = 0;
  for (const auto& m : comp.active_models()) {
    const ModelInfo info = m->info();
    if (!info.denoising || static_cast<std::int64_t>(info.data_mean.size()) != channels) continue;
    sum += torch::tensor(info.data_mean).view({channels, 1, 1});
    ++n;
  }
  return n == 0 ? torch::full({channels, 1, 1}, 0.5) : sum / n;
}

void ChainInit::set_chain(const SamplerParams& chain) {
  mode_ = chain.init;
  init_image_ = chain.init_image;
  init_region_ = chain.init_region;
  seed_ = chain.seed;
  sigma0_ = chain.schedule.annealed() ? chain.schedule.levels.front().sigma : 1.0;
  image_sigma_ = init_noise_sigma(chain);
  image_ = torch::Tensor();
  region_ = torch::Tensor();
}

void ChainInit::set_shape(std::int64_t channels, std::int64_t image_size, torch::Tensor start_mean) {
  channels_ = channels;
  size_ = image_size;
  start_mean_ = std::move(start_mean);
  if (image_.defined() && (image_.size(0) != channels || image_.size(1) != image_size)) {
    image_ = torch::Tensor();
    region_ = torch::Tensor();
  }
}

namespace {

// [1,C,H,W] resized to s×s (bilinear, as the image start always was); unchanged at that size already.
torch::Tensor resized(torch::Tensor img, std::int64_t s) {
  if (img.size(2) == s && img.size(3) == s) return img;
  return torch::nn::functional::interpolate(
      img, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{s, s}).mode(torch::kBilinear).align_corners(false));
}

}  // namespace

void ChainInit::prepare_image(const torch::Device& device) const {
  if (mode_ != InitMode::Image || (image_.defined() && image_.device() == device)) return;
  const std::int64_t c = channels_, s = size_;
  if (!init_image_.defined()) throw std::invalid_argument("init 'image' has no image");
  auto img = init_image_.to(torch::kFloat).unsqueeze(0);
  if (img.size(1) == 4 && c == 3) img = img.slice(1, 0, 3);  // drop alpha
  if (img.size(1) == 1 && c == 3) img = img.expand({1, 3, img.size(2), img.size(3)});
  if (img.size(1) != c)
    throw std::invalid_argument("init image has " + std::to_string(img.size(1)) + " channels, the models take " +
                                std::to_string(c));
  image_ = resized(img, s).clamp(0.0, 1.0).squeeze(0).to(device).contiguous();
  region_ = torch::Tensor();
  if (init_region_.defined()) {
    region_ = resized(init_region_.to(torch::kFloat).unsqueeze(0), s).clamp(0.0, 1.0).squeeze(0).to(device).contiguous();
  }
}

torch::Tensor ChainInit::hold(const torch::Tensor& x, const torch::Tensor& key, const torch::Tensor& sigma,
                              const torch::Tensor& ids) const {
  if (!holds()) return x;
  prepare_image(ids.device());
  const auto noised = image_.unsqueeze(0) + counter_normal(key, ids, {channels_, size_, size_}).mul_(sigma);
  return torch::lerp(noised, x, region_.unsqueeze(0));  // region 1: x; region 0: the noised image
}

torch::Tensor ChainInit::images(const torch::Tensor& key, const torch::Tensor& colour_key, const torch::Tensor& ids) const {
  const std::int64_t c = channels_, s = size_;
  switch (mode_) {
    case InitMode::Uniform:
      return counter_uniform(key, ids, {c, s, s});
    case InitMode::Gaussian:
      return counter_normal(key, ids, {c, s, s}).mul_(0.5).add_(0.5);
    case InitMode::Noise:
      return counter_normal(key, ids, {c, s, s}).mul_(sigma0_).add_(start_mean_);
    case InitMode::GreyColour: {
      auto colour = counter_uniform(colour_key, ids, {c, 1, 1});
      return counter_uniform(key, ids, {c, s, s}).mul_(0.5).add_(colour.mul_(0.5));
    }
    case InitMode::Image: {
      prepare_image(ids.device());  // made at the start; again only after a reshape
      auto x = image_.unsqueeze(0).expand({ids.size(0), c, s, s}).contiguous();
      if (image_sigma_ > 0) x.add_(counter_normal(key, ids, {c, s, s}).mul_(image_sigma_));
      return x;
    }
  }
  throw std::logic_error("unknown init mode");
}

torch::Tensor ChainInit::attention(const std::string& term, int k, const torch::Tensor& ids) const {
  auto key = noise_key(seed_, NoiseStream::MaskInit, term_stream(term), 0);
  return counter_uniform(key, ids, {k, size_, size_}).mul_(2.0).sub_(1.0);
}

void ChainInit::reset(const torch::Tensor& bad, const torch::Tensor& ids, const torch::Tensor& key,
                      const torch::Tensor& colour_key, const std::vector<CompiledComposition::CTerm>& terms,
                      torch::Tensor* x, std::map<std::string, torch::Tensor>* att) const {
  auto fresh = images(key, colour_key, ids);
  *x = torch::where(per_sample_view(bad, x->dim()), fresh, *x);
  for (const auto& t : terms) {
    if (t.attention_masks == 0 || !att->count(t.name)) continue;
    auto& m = (*att)[t.name];
    m = torch::where(per_sample_view(bad, m.dim()), attention(t.name, t.attention_masks, ids), m);
  }
}

}  // namespace ebm
