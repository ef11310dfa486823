#include "models/denoising_energy.h"

#include "models/checkpoint/model_file.h"

#include <cmath>
#include <stdexcept>

namespace ebm {

namespace {
// μ per channel as the [1,3,1,1] float tensor the energy subtracts (on the CPU; the buffer moves with
// the module).
torch::Tensor mean_tensor(const std::array<double, 3>& mean) {
  return torch::tensor({static_cast<float>(mean[0]), static_cast<float>(mean[1]), static_cast<float>(mean[2])})
      .view({1, 3, 1, 1});
}
}  // namespace

namespace {
constexpr double kPi = 3.14159265358979323846;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

void DenoisingSettings::validate() const {
  auto fail = [](const std::string& m) { throw std::invalid_argument("denoising settings: " + m); };
  if (!(sigma_min > 0) || !(sigma_max > sigma_min) || sigma_max > 100)
    fail("need 0 < sigma_min < sigma_max <= 100");
  if (sigma_features < 1 || sigma_features > 32) fail("sigma_features must be in [1, 32]");
  if (concept_size < 1 || concept_size > 4096) fail("concept_size must be in [1, 4096]");
  if (!(sigma_data > 0) || sigma_data > 10) fail("sigma_data must be in (0, 10]");
  for (double m : mean)
    if (!std::isfinite(m)) fail("mean must be finite");
  if (!(guidance >= 0 && guidance <= 100)) fail("guidance must be in [0, 100]");
  if (auto p = guidance_interval_problem(guidance_interval); !p.empty()) fail("guidance_interval: " + p);
}

void to_json(nlohmann::json& j, const DenoisingSettings& s) {
  j = nlohmann::json{{"sigma_min", s.sigma_min},   {"sigma_max", s.sigma_max}, {"sigma_features", s.sigma_features},
                     {"concept_size", s.concept_size}, {"sigma_data", s.sigma_data}, {"mean", s.mean},
                     {"guidance", s.guidance}};
  if (!s.guidance_interval.everywhere()) j["guidance_interval"] = guidance_interval_to_json(s.guidance_interval);
}

void from_json(const nlohmann::json& j, DenoisingSettings& s) {
  if (!j.is_object()) throw std::invalid_argument("denoising settings must be a JSON object");
  s.sigma_min = j.value("sigma_min", s.sigma_min);
  s.sigma_max = j.value("sigma_max", s.sigma_max);
  s.sigma_features = j.value("sigma_features", s.sigma_features);
  s.concept_size = j.value("concept_size", s.concept_size);
  s.sigma_data = j.value("sigma_data", s.sigma_data);
  s.guidance = j.value("guidance", s.guidance);
  if (j.contains("guidance_interval")) {
    try {
      s.guidance_interval = guidance_interval_from_json(j.at("guidance_interval"));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("denoising settings: guidance_interval ") + e.what());
    }
  }
  if (j.contains("mean")) {
    const auto& m = j.at("mean");
    if (!m.is_array() || m.size() != 3) throw std::invalid_argument("denoising settings: mean must hold 3 numbers");
    for (int i = 0; i < 3; ++i) s.mean[i] = m.at(i).get<double>();
  }
  s.validate();
}

DenoisingEnergyImpl::DenoisingEnergyImpl(std::shared_ptr<NetworkImpl> net, DenoisingSettings settings, double log_scale_init)
    : net_(std::move(net)), settings_(settings) {
  settings_.validate();
  if (!net_) throw std::invalid_argument("DenoisingEnergy: no network");
  if (!net_->config().is_energy()) throw std::invalid_argument("DenoisingEnergy needs an energy network (cubesnet)");
  if (net_->config().label_size != settings_.network_label_size())
    throw std::invalid_argument("DenoisingEnergy: the network has label_size " + std::to_string(net_->config().label_size) +
                                " but concept " + std::to_string(settings_.concept_size) + " + null flag + " +
                                std::to_string(settings_.sigma_features) + " sigma features need " +
                                std::to_string(settings_.network_label_size()));
  register_module("net", net_);
  log_scale = register_parameter("log_scale", torch::tensor(static_cast<float>(log_scale_init)));
  mean_ = register_buffer("mean", mean_tensor(settings_.mean));
}

torch::Tensor DenoisingEnergyImpl::sigma_features(const torch::Tensor& sigma) const {
  const double lo = std::log(settings_.sigma_min), hi = std::log(settings_.sigma_max);
  auto t = (sigma.log() - lo) * (2.0 / (hi - lo)) - 1.0;
  std::vector<torch::Tensor> f{t};
  for (int k = 1; static_cast<int>(f.size()) < settings_.sigma_features; ++k) {
    f.push_back(torch::sin(kPi * k * t));
    if (static_cast<int>(f.size()) < settings_.sigma_features) f.push_back(torch::cos(kPi * k * t));
  }
  return torch::stack(f, 1);
}

torch::Tensor DenoisingEnergyImpl::network_label(const torch::Tensor& label, const torch::Tensor& sigma, int64_t batch,
                                                 const torch::Device& device, const torch::Tensor& null_mask) const {
  auto fopt = torch::TensorOptions().dtype(torch::kFloat).device(device);
  torch::Tensor concept, null;
  if (label.defined()) {
    if (label.dim() != 2 || label.size(0) != batch || label.size(1) != settings_.concept_size)
      throw std::invalid_argument("denoising energy: label must be [" + std::to_string(batch) + "," +
                                  std::to_string(settings_.concept_size) + "]");
    concept = label.to(fopt);
    null = torch::zeros({batch, 1}, fopt);
    if (null_mask.defined()) {
      null = null_mask.to(fopt).reshape({batch, 1});
      concept = concept * (1 - null);
    }
  } else {
    concept = torch::zeros({batch, settings_.concept_size}, fopt);
    null = torch::ones({batch, 1}, fopt);
  }
  auto s = sigma.to(fopt).reshape({-1});
  if (s.numel() == 1) s = s.expand({batch});
  if (s.numel() != batch) throw std::invalid_argument("denoising energy: sigma must be a scalar or one value per image");
  return torch::cat({concept, null, sigma_features(s)}, 1);
}

torch::Tensor DenoisingEnergyImpl::prior_energy(const torch::Tensor& x, const torch::Tensor& sigma) const {
  auto s = sigma.to(x.options()).reshape({-1});
  auto var = s * s + settings_.sigma_data * settings_.sigma_data;
  return (0.5 * (x - mean_).square().sum({1, 2, 3}) / var).unsqueeze(1);
}

torch::Tensor DenoisingEnergyImpl::residual_energy(const torch::Tensor& x, const torch::Tensor& label,
                                                   const torch::Tensor& sigma, const torch::Tensor& null_mask) {
  const int64_t B = x.size(0);
  auto s = sigma.to(x.options()).reshape({-1});
  if (s.numel() == 1) s = s.expand({B});
  auto c_in = (s * s + settings_.sigma_data * settings_.sigma_data).rsqrt().view({-1, 1, 1, 1});
  auto n = net_->energy(c_in * (x - mean_), network_label(label, s, B, x.device(), null_mask));
  return log_scale.exp() * n / s.view({-1, 1});
}

torch::Tensor DenoisingEnergyImpl::energy(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& sigma,
                                          const torch::Tensor& null_mask) {
  return prior_energy(x, sigma) + residual_energy(x, label, sigma, null_mask);
}

torch::Tensor DenoisingEnergyImpl::energy(const torch::Tensor& x, const torch::Tensor& label, double sigma) {
  return energy(x, label, torch::full({}, sigma, x.options()));  // filled on the device: no host copy
}

void DenoisingEnergyImpl::set_data_statistics(const std::array<double, 3>& mean, double sigma_data) {
  DenoisingSettings s = settings_;
  s.mean = mean;
  s.sigma_data = sigma_data;
  s.validate();
  settings_ = s;
  torch::NoGradGuard no_grad;
  mean_.copy_(mean_tensor(mean));
}

void DenoisingEnergyImpl::set_guidance(double guidance) {
  DenoisingSettings s = settings_;
  s.guidance = guidance;
  s.validate();
  settings_ = s;
}

void DenoisingEnergyImpl::init_conditioning() {
  torch::NoGradGuard no_grad;
  for (auto& kv : net_->named_parameters()) {
    if (ends_with(kv.key(), "_res_c2.g")) kv.value().zero_();
    if (ends_with(kv.key(), "_res_c2.cb")) kv.value().fill_(1.0);
  }
}

void DenoisingEnergyImpl::calibrate_scale(const torch::Tensor& x_t, const torch::Tensor& label, double sigma,
                                          double target_rms) {
  const int64_t B = x_t.size(0);
  auto s = torch::full({B}, sigma, x_t.options());
  const double c_in = 1.0 / std::sqrt(sigma * sigma + settings_.sigma_data * settings_.sigma_data);
  auto u = (c_in * (x_t - mean_)).detach().requires_grad_(true);
  torch::Tensor g;
  {
    torch::AutoGradMode on(true);
    auto n = net_->energy(u, network_label(label, s, B, x_t.device()));
    g = torch::autograd::grad({n.sum()}, {u})[0];
  }
  const double rms = (g * c_in).square().mean().sqrt().item<double>();
  if (!(rms > 0) || !std::isfinite(rms))
    throw std::runtime_error("denoising energy: the network's input gradient is zero or not finite; cannot calibrate");
  torch::NoGradGuard no_grad;
  log_scale.fill_(std::log(target_rms / rms));
}

nlohmann::json DenoisingEnergyImpl::metadata_json() const {
  nlohmann::json j = settings_;
  j["log_scale"] = log_scale.detach().cpu().item<double>();
  j["label_layout"] = "concept slots, null flag, sigma features (see models/denoising_energy.h)";
  return j;
}

void save_denoising_energy(const std::string& path, const DenoisingEnergyImpl& e, const nlohmann::json& training) {
  SaveModelOptions opt;
  opt.extra[kMetaDenoising] = e.metadata_json().dump();
  if (!training.is_null()) opt.extra[kMetaTraining] = training.dump();
  save_model(path, e.network(), opt);
}

DenoisingEnergy load_denoising_energy(const std::string& path) {
  LoadedModel m = load_model(path);
  const auto& meta = m.report.metadata;
  auto it = meta.find(kMetaDenoising);
  if (it == meta.end())
    throw std::runtime_error(path + ": not a denoising model (no \"" + std::string(kMetaDenoising) +
                             "\" metadata); load it as a contrastive energy instead");
  if (m.network->config().energy_kind != EnergyKind::Denoising)
    throw std::runtime_error(path + ": has denoising metadata but its config says energy_kind " +
                             to_string(m.network->config().energy_kind));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(it->second);
  } catch (const std::exception& ex) {
    throw std::runtime_error(path + ": the \"denoising\" metadata is not valid JSON: " + ex.what());
  }
  DenoisingSettings s = j.get<DenoisingSettings>();
  return DenoisingEnergy(m.network, s, j.value("log_scale", 0.0));
}

}  // namespace ebm
