#include "engine/train/cd_objective.h"

#include "engine/langevin.h"
#include "engine/train/precision.h"
#include "models/checkpoint/model_file.h"

namespace ebm::train {

CdLoss cd_loss(const torch::Tensor& e_pos, const torch::Tensor& e_neg, double ml_coeff, double l2_coeff) {
  auto p = e_pos.reshape({-1}), n = e_neg.reshape({-1});
  auto loss = ml_coeff * (p.mean() - n.mean()) + l2_coeff * (p.square().mean() + n.square().mean());
  return {loss, p.mean().detach(), n.mean().detach()};
}

std::pair<torch::Tensor, torch::Tensor> mix_replay(const torch::Tensor& fresh, const torch::Tensor& replayed,
                                                   double keep_ratio, torch::Generator& gen) {
  auto u = torch::rand({fresh.size(0)}, gen, torch::kFloat);
  auto mask = (u > keep_ratio).to(fresh.device());
  auto shape = std::vector<int64_t>(fresh.dim(), 1);
  shape[0] = fresh.size(0);
  return {torch::where(mask.view(shape), replayed.to(fresh.device(), fresh.scalar_type()), fresh), mask};
}

CdObjective::CdObjective(std::shared_ptr<NetworkImpl> net, const TrainOptions& opt, const torch::Device& device,
                         torch::Generator device_gen, torch::Generator cpu_gen)
    : net_(std::move(net)),
      opt_(opt),
      device_(device),
      device_gen_(std::move(device_gen)),
      cpu_gen_(std::move(cpu_gen)),
      replay_(std::max<int64_t>(1, opt.replay_size), opt.replay_quirk) {
  net_->to(device_);
  if (opt_.channels_last) to_channels_last(*net_);
  // Eval mode throughout: u advances only where TF advanced it, once per iteration at the chain.
  net_->train(false);
  ClipAdamOptions a;
  a.lr = opt_.effective_lr();
  a.beta1 = 0.0;
  a.beta2 = 0.99;
  a.clip = GradClip::PerElementStd;
  adam_ = std::make_unique<ClipAdam>(net_->parameters(), a);
}

torch::Tensor CdObjective::chain(torch::Tensor x, const torch::Tensor& labels, int steps, torch::Generator& gen,
                                 bool update_u) {
  LangevinParams p;
  p.step_lr = opt_.step_lr;
  p.noise_std = opt_.langevin_noise;
  p.clamp = true;
  if (opt_.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  net_->cache_spectral_weights(update_u);
  try {
    AutocastScope amp(opt_.bf16, device_);
    auto energy = [&](const torch::Tensor& xx) { return net_->energy(xx, labels); };
    for (int k = 0; k < steps; ++k) {
      auto noise = opt_.langevin_noise > 0 ? torch::randn(x.sizes(), gen, x.options()) * opt_.langevin_noise : torch::Tensor();
      x = langevin_step(x, noise, energy, p).x;
    }
  } catch (...) {
    net_->clear_spectral_cache();
    throw;
  }
  net_->clear_spectral_cache();
  return x;
}

torch::Tensor CdObjective::step(const torch::Tensor& images, const torch::Tensor& labels, int64_t /*iteration*/) {
  const int64_t B = images.size(0);
  auto x = 0.5 + 0.5 * torch::randn(images.sizes(), device_gen_, images.options());
  torch::Tensor replay_frac = torch::zeros({}, images.options());
  // The original replays once the buffer holds more than one batch (len(buffer) > batch_size).
  if (opt_.replay_size > 0 && replay_.size() > B) {
    auto rep = replay_.sample(B, cpu_gen_);
    auto mixed = mix_replay(x, rep, opt_.keep_ratio, cpu_gen_);
    x = mixed.first;
    replay_frac = mixed.second.to(torch::kFloat).mean();
  }
  auto x_neg = chain(x, labels, opt_.langevin_steps, device_gen_, /*update_u=*/true);

  torch::Tensor loss, e_pos, e_neg;
  {
    AutocastScope amp(opt_.bf16, device_);
    auto both = torch::cat({images, x_neg.detach()}, 0);
    if (opt_.channels_last) both = both.contiguous(torch::MemoryFormat::ChannelsLast);
    auto e = net_->energy(both, torch::cat({labels, labels}, 0)).to(torch::kFloat).reshape({-1});
    CdLoss l = cd_loss(e.narrow(0, 0, B), e.narrow(0, B, B), opt_.ml_coeff, opt_.l2_coeff);
    loss = l.loss;
    e_pos = l.e_pos;
    e_neg = l.e_neg;
    adam_->zero_grad();
    loss.backward();
  }
  average_gradients(net_->parameters());
  adam_->step();
  if (opt_.replay_size > 0) replay_.add(x_neg);
  return torch::stack({loss.detach(), e_pos, e_neg, replay_frac.to(loss.device())});
}

torch::Tensor CdObjective::sample(const torch::Tensor& labels, torch::Generator& gen) {
  auto x = 0.5 + 0.5 * torch::randn({labels.size(0), 3, 64, 64}, gen, labels.options().dtype(torch::kFloat));
  return chain(x, labels, opt_.sample_steps, gen, /*update_u=*/false).detach();
}

void CdObjective::save_state(TensorMap& out, const std::string& prefix) const {
  put_module(out, prefix + "net/", *net_);
  for (const auto& kv : adam_->state()) out[prefix + "opt/" + kv.first] = kv.second;
  if (opt_.replay_size > 0)
    for (const auto& kv : replay_.state()) out[prefix + "replay/" + kv.first] = kv.second;
}

void CdObjective::load_state(const TensorMap& in, const std::string& prefix) {
  get_module(in, prefix + "net/", *net_);
  std::map<std::string, torch::Tensor> opt, rep;
  for (const auto& kv : in) {
    if (kv.first.rfind(prefix + "opt/", 0) == 0) opt[kv.first.substr(prefix.size() + 4)] = kv.second;
    if (kv.first.rfind(prefix + "replay/", 0) == 0) rep[kv.first.substr(prefix.size() + 7)] = kv.second;
  }
  adam_->load_state(opt);
  if (opt_.replay_size > 0) replay_.load_state(rep);
}

void CdObjective::init_from_model(const std::string& path) {
  const LoadedModel src = load_init_source(path, [](const std::string& p) { return load_model(p); });
  const ModelConfig& a = src.network->config();
  const ModelConfig& b = net_->config();
  const auto mismatch = [&](const std::string& what, const std::string& have, const std::string& want) {
    return init_from_mismatch(path, what, have, want, "--concept, --objective cd and --filters");
  };
  if (a.energy_kind != EnergyKind::Contrastive) throw mismatch("the model", "not a cd model", "a cd model");
  if (src.network->schema().concept_name != net_->schema().concept_name)
    throw mismatch("its concept", src.network->schema().concept_name, net_->schema().concept_name);
  if (a.arch != b.arch || a.num_filters != b.num_filters || a.label_size != b.label_size || a.spec_norm != b.spec_norm)
    throw mismatch("its network", to_string(a.arch) + " with " + std::to_string(a.num_filters) + " filters",
                   to_string(b.arch) + " with " + std::to_string(b.num_filters) + " filters");
  copy_module(*src.network, *net_);
}

void CdObjective::save_model(const std::string& path, const nlohmann::json& training_info) const {
  SaveModelOptions o;
  o.extra[kMetaTraining] = training_info.dump();
  ebm::save_model(path, *net_, o);
}

}  // namespace ebm::train
