#include "engine/train/cd_objective.h"

#include "engine/sampling/langevin.h"
#include "engine/train/precision.h"
#include "models/checkpoint/model_file.h"

#include <functional>
#include <iostream>
#include <sstream>

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

torch::Tensor CdObjective::langevin_update(const torch::Tensor& x, const torch::Tensor& labels,
                                           torch::Generator& gen) const {
  LangevinParams p;
  p.step_lr = opt_.step_lr;
  p.noise_std = opt_.langevin_noise;
  p.clamp = true;
  auto energy = [&](const torch::Tensor& xx) { return net_->energy(xx, labels); };
  auto noise = opt_.langevin_noise > 0 ? torch::randn(x.sizes(), gen, x.options()) * opt_.langevin_noise : torch::Tensor();
  return langevin_step(x, noise, energy, p).x;
}

bool CdObjective::use_graph(const torch::Tensor& x, torch::Generator& gen) const {
  if (!opt_.cuda_graph || graph_failed_ || !ChainGraph::available() || !x.is_cuda()) return false;
  // Captured kernels draw from the generator PyTorch registers with every capture: the default one
  // of the device (the trainer's device stream is exactly that).
  return gen.unsafeGetGeneratorImpl() == at::globalContext().defaultGenerator(x.device()).unsafeGetGeneratorImpl();
}

std::string CdObjective::graph_key(const torch::Tensor& x, const torch::Tensor& labels) const {
  std::ostringstream k;
  const auto& ctx = at::globalContext();
  k << x.sizes() << x.strides() << x.scalar_type() << x.device() << '|' << labels.sizes() << labels.strides()
    << labels.scalar_type() << '|' << opt_.bf16 << ctx.allowTF32CuDNN() << ctx.allowTF32CuBLAS() << '|'
    << opt_.step_lr << '/' << opt_.langevin_noise;
  // The weights' addresses: the optimizer and the spectral cache write in place, so these stay put
  // for a whole run; anything that rebinds a weight (a load, a layout change) re-captures.
  std::size_t h = 0;
  for (const auto& t : net_->weight_tensors())
    h = h * 1000003u ^ std::hash<const void*>()(t.defined() ? t.data_ptr() : nullptr);
  k << '|' << h;
  return k.str();
}

torch::Tensor CdObjective::chain(torch::Tensor x, const torch::Tensor& labels, int steps, torch::Generator& gen,
                                 bool update_u) {
  if (opt_.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  const bool graph = use_graph(x, gen);
  // A graph reads the cached spectral weights where it was captured: rewrite them there.
  net_->cache_spectral_weights(update_u, /*reuse_storage=*/graph);
  try {
    // Autocast's cast cache would hand the capture copies that are freed when this scope ends.
    AutocastScope amp(opt_.bf16, device_, /*cast_cache=*/!graph);
    bool done = false;
    if (graph) {
      ChainGraph& g = update_u ? train_graph_ : sample_graph_;
      try {
        x = g.run(graph_key(x, labels), x, labels, steps, gen,
                  [this, &gen](const torch::Tensor& xx, const torch::Tensor& ll) { return langevin_update(xx, ll, gen); });
        chain_path_ = "cuda graph";
        done = true;
      } catch (const std::runtime_error& e) {
        // A network the graph cannot hold: train eagerly from now on, and say so once.
        graph_failed_ = true;
        train_graph_.reset();
        sample_graph_.reset();
        chain_path_ = std::string("eager (graph capture failed: ") + e.what() + ")";
        std::cerr << "ebm train: " << chain_path_ << "; the Langevin chains run eagerly (--no-cuda-graph skips the attempt)\n";
      }
    }
    if (!done) {
      for (int k = 0; k < steps; ++k) x = langevin_update(x, labels, gen);
      if (!graph_failed_) chain_path_ = "eager";
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
  const int64_t side = net_->config().image_size;  // 64 (CubesNet) or 128 (ResNet128)
  auto x = 0.5 + 0.5 * torch::randn({labels.size(0), 3, side, side}, gen, labels.options().dtype(torch::kFloat));
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

void CdObjective::init_from_model(const std::string& path, bool across_concepts) {
  const LoadedModel src = load_init_source(path, [](const std::string& p) { return load_model(p); });
  const ModelConfig& a = src.network->config();
  const ModelConfig& b = net_->config();
  const auto mismatch = [&](const std::string& what, const std::string& have, const std::string& want) {
    return init_from_mismatch(path, what, have, want, "--concept, --objective cd and --filters");
  };
  if (a.energy_kind != EnergyKind::Contrastive) throw mismatch("the model", "not a cd model", "a cd model");
  if (!across_concepts && src.network->schema().concept_name != net_->schema().concept_name)
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
