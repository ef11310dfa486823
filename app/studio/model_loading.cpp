#include "app/studio/model_loading.h"

#include "models/checkpoint/model_file.h"

#include <filesystem>

namespace ebm::studio {

namespace {

// A loaded network as the sampler's EnergyModel. (The engine's own LoadModel command is not wired to
// model files yet; when it is, the studio can hand files to it instead and drop this adapter.)
class NetworkEnergy final : public EnergyModel {
 public:
  explicit NetworkEnergy(std::shared_ptr<NetworkImpl> net) : net_(std::move(net)) {
    const ModelConfig& c = net_->config();
    info_.channels = c.num_channels;
    info_.image_size = c.image_size;
    info_.label_size = c.cclass ? c.label_size : 0;
    info_.attention_masks = c.comb_mask ? c.cond_func : 0;
    info_.denoising = c.energy_kind == EnergyKind::Denoising;
    info_.schema = net_->schema();
    net_->eval();
  }
  torch::Tensor energy(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& attention_mask,
                       double /*sigma*/) override {
    return net_->energy(x, label, attention_mask);
  }
  ModelInfo info() const override { return info_; }
  // The original computed every spectral norm once per session.run; a chain does it once too.
  void begin_chain() override { net_->cache_spectral_weights(); }
  void end_chain() override { net_->clear_spectral_cache(); }
  void to_device(const torch::Device& device) override { net_->to(device); }

 private:
  std::shared_ptr<NetworkImpl> net_;
  ModelInfo info_;
};

}  // namespace

LoadedEnergyModel load_energy_model_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw std::runtime_error("no such file: " + path + " (check the path, or drop the file onto the window)");
  LoadedModel loaded = load_model(path);
  if (!loaded.network) throw std::runtime_error(path + " did not yield a network");
  if (!loaded.network->config().is_energy())
    throw std::runtime_error(path + " holds a " + to_string(loaded.network->config().arch) +
                             ", which is not an energy model; the studio samples CubesNet and ResNet128 models");
  LoadedEnergyModel out;
  out.model = std::make_shared<NetworkEnergy>(loaded.network);
  out.entry.path = path;
  out.entry.state = ModelEntry::State::Ready;
  out.entry.config = loaded.network->config();
  out.entry.schema = loaded.network->schema();
  out.entry.info = out.model->info();
  out.entry.kind = to_string(loaded.report.kind);
  return out;
}

}  // namespace ebm::studio
