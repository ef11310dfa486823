#include "engine/train/dsm_objective.h"

#include "models/guidance.h"
#include "engine/train/precision.h"

#include <cmath>

namespace ebm::train {

DsmObjective::DsmObjective(DenoisingEnergy model, DenoisingEnergy ema, const TrainOptions& opt,
                           const torch::Device& device, torch::Generator device_gen, const torch::Tensor& calib_images,
                           const torch::Tensor& calib_labels)
    : model_(std::move(model)), ema_(std::move(ema)), opt_(opt), device_(device), device_gen_(std::move(device_gen)) {
  model_->to(device_);
  ema_->to(device_);
  if (opt_.channels_last) {
    to_channels_last(*model_);
    to_channels_last(*ema_);
  }
  model_->train(false);  // no dropout / spectral updates are involved; eval keeps u (if any) fixed
  ema_->train(false);
  model_->init_conditioning();
  {
    // Calibrate the learned output scale on noisy data at a mid noise level.
    const double sigma = 0.2;
    auto x_t = calib_images + sigma * torch::randn(calib_images.sizes(), device_gen_, calib_images.options());
    model_->calibrate_scale(x_t, calib_labels, sigma);
  }
  ema_->set_guidance(opt_.sample_guidance);  // the saved model's recommended guidance
  params_ = model_->parameters();
  ema_params_ = ema_->parameters();
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params_.size(); ++i) ema_params_[i].copy_(params_[i]);
    auto b = model_->buffers(), eb = ema_->buffers();
    for (size_t i = 0; i < b.size(); ++i) eb[i].copy_(b[i]);
    for (auto& p : ema_params_) p.set_requires_grad(false);
  }
  ClipAdamOptions a;
  a.lr = opt_.effective_lr();
  a.beta1 = 0.9;
  a.beta2 = 0.999;
  a.clip = GradClip::GlobalNorm;
  a.max_norm = opt_.grad_clip;
  adam_ = std::make_unique<ClipAdam>(params_, a);
}

torch::Tensor DsmObjective::step(const torch::Tensor& images, const torch::Tensor& labels, int64_t iteration) {
  // Noise for the whole group's rows, this rank's share kept (objective.h: set_data_parallel).
  const int64_t B = images.size(0), all = B * world_size();
  auto fopt = images.options().dtype(torch::kFloat);
  auto sigma = my_rows(sample_sigmas(all, opt_.sigma_median, opt_.sigma_log_std, opt_.sigma_min, opt_.sigma_max,
                                     device_gen_, fopt));
  auto eps = my_rows(torch::randn({all, images.size(1), images.size(2), images.size(3)}, device_gen_, fopt));
  auto null_mask = my_rows((torch::rand({all}, device_gen_, fopt) < opt_.label_dropout).to(torch::kFloat));
  const torch::Tensor weight =
      opt_.dsm_weighting == "edm" ? edm_weight(sigma, model_->settings().sigma_data) : torch::Tensor();
  DsmLoss l;
  {
    AutocastScope amp(opt_.bf16, device_);
    auto x0 = opt_.channels_last ? images.contiguous(torch::MemoryFormat::ChannelsLast) : images;
    l = dsm_loss([&](const torch::Tensor& x, const torch::Tensor& s) { return model_->energy(x, labels, s, null_mask); },
                 x0, sigma, eps, weight);
    adam_->zero_grad();
    l.loss.backward();
  }
  average_gradients(params_);
  const double warm = opt_.warmup > 0 ? std::min(1.0, static_cast<double>(iteration + 1) / opt_.warmup) : 1.0;
  adam_->step(warm);
  update_ema();
  auto bin = [&](const torch::Tensor& mask) {
    auto m = mask.to(torch::kFloat);
    return (l.per_sample * m).sum() / m.sum().clamp_min(1);
  };
  // "loss" is the unweighted ε-regression loss whatever the weighting, so runs compare.
  return torch::stack({l.per_sample.mean(), bin(sigma < 0.05), bin((sigma >= 0.05) & (sigma <= 0.3)), bin(sigma > 0.3),
                       model_->log_scale.detach().to(torch::kFloat),
                       gaussian_prior_dsm_loss(images, sigma, eps, model_->data_mean(), model_->settings().sigma_data)});
}

void DsmObjective::update_ema() {
  torch::NoGradGuard no_grad;
  // Multi-tensor kernels: two launches for the whole model instead of two per parameter.
  at::_foreach_mul_(ema_params_, opt_.ema);
  at::_foreach_add_(ema_params_, params_, 1.0 - opt_.ema);
}

torch::Tensor DsmObjective::sample(const torch::Tensor& labels, torch::Generator& gen) {
  const auto& s = ema_->settings();
  AnnealedOptions a;
  a.sigma_max = s.sigma_max;
  a.sigma_min = s.sigma_min;
  a.levels = opt_.sample_levels;
  a.corrector_steps = opt_.sample_corrector;
  a.r = opt_.sample_r;
  const int64_t n = labels.size(0);
  const int64_t side = ema_->network().config().image_size;  // 64 (CubesNet) or 128 (ResNet128)
  auto fopt = labels.options().dtype(torch::kFloat);
  auto x = ema_->data_mean() + std::sqrt(s.sigma_max * s.sigma_max + s.sigma_data * s.sigma_data) *
                      torch::randn({n, 3, side, side}, gen, fopt);
  AutocastScope amp(opt_.bf16, device_);
  const double g = opt_.sample_guidance;
  return sample_annealed(
      [&](const torch::Tensor& xx, const torch::Tensor& sig) {
        auto e = ema_->energy(xx, labels, sig);
        if (g == 1.0) return e;
        return guided_energy(e, ema_->energy(xx, torch::Tensor(), sig), g);
      },
      x, a, gen);
}

void DsmObjective::save_state(TensorMap& out, const std::string& prefix) const {
  put_module(out, prefix + "model/", *model_);
  put_module(out, prefix + "ema/", *ema_);
  for (const auto& kv : adam_->state()) out[prefix + "opt/" + kv.first] = kv.second;
}

void DsmObjective::load_state(const TensorMap& in, const std::string& prefix) {
  get_module(in, prefix + "model/", *model_);
  get_module(in, prefix + "ema/", *ema_);
  std::map<std::string, torch::Tensor> opt;
  for (const auto& kv : in)
    if (kv.first.rfind(prefix + "opt/", 0) == 0) opt[kv.first.substr(prefix.size() + 4)] = kv.second;
  adam_->load_state(opt);
}

void DsmObjective::init_from_model(const std::string& path, bool across_concepts) {
  const DenoisingEnergy src = load_init_source(path, [](const std::string& p) { return load_denoising_energy(p); });
  const DenoisingSettings& a = src->settings();
  const DenoisingSettings& b = model_->settings();
  const auto mismatch = [&](const std::string& what, const std::string& have, const std::string& want) {
    return init_from_mismatch(path, what, have, want, "--concept, --filters and noise settings");
  };
  const std::string& ca = src->network().schema().concept_name;
  const std::string& cb = model_->network().schema().concept_name;
  if (ca != cb && !across_concepts)
    throw std::invalid_argument("--init-from " + path + ": its concept is " + ca + " but this run trains " + cb +
                                "; start from a model of the same concept, or add --init-across-concepts to warm-start "
                                "from another concept whose label has as many values");
  const int la = a.concept_size, lb = b.concept_size;
  if (la != lb) throw mismatch("its label", std::to_string(la) + " values", std::to_string(lb) + " values");
  if (a.sigma_min != b.sigma_min || a.sigma_max != b.sigma_max || a.sigma_features != b.sigma_features)
    throw mismatch("its noise range", "[" + std::to_string(a.sigma_min) + ", " + std::to_string(a.sigma_max) + "] with " +
                                          std::to_string(a.sigma_features) + " sigma features",
                   "[" + std::to_string(b.sigma_min) + ", " + std::to_string(b.sigma_max) + "] with " +
                       std::to_string(b.sigma_features));
  const int fa = src->network().config().num_filters, fb = model_->network().config().num_filters;
  if (fa != fb) throw mismatch("its width", std::to_string(fa) + " filters", std::to_string(fb) + " filters");
  // Weights, learned scale and the data statistics (μ, σ_d) go to both the trained and the EMA copy; Adam starts
  // fresh (with its warm-up, which keeps the first steps of a cold optimizer small).
  copy_module(*src, *model_);
  copy_module(*src, *ema_);
  model_->set_data_statistics(a.mean, a.sigma_data);
  ema_->set_data_statistics(a.mean, a.sigma_data);
}

void DsmObjective::save_model(const std::string& path, const nlohmann::json& training_info) const {
  save_denoising_energy(path, *ema_, training_info);
}

}  // namespace ebm::train
