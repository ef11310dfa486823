#include "engine/energy/model_loader.h"

#include "engine/energy/network_model.h"
#include "engine/recipe/sha256.h"
#include "engine/train/denoising_model.h"
#include "models/checkpoint/model_file.h"

namespace ebm {

LoadedEnergyModel load_energy_model(const std::string& path, const std::optional<ModelConfig>& config) {
  LoadedEnergyModel out;
  out.sha256 = sha256_file(path);
  const CheckpointInfo info = inspect_checkpoint(path);
  const std::optional<ModelConfig> cfg = info.config ? info.config : config;
  if (cfg && cfg->energy_kind == EnergyKind::Denoising) {
    // Denoising energies carry their noise-level wrapper in the file's metadata (engine/train).
    auto m = train::load_denoising_model(path);
    const ModelInfo mi = m->info();
    out.summary = "denoising " + to_string(cfg->arch) + ", label " + std::to_string(mi.label_size) + " (" +
                  mi.schema.concept_name + "), " + std::to_string(mi.image_size) + "², needs an annealed schedule";
    out.model = std::move(m);
    return out;
  }
  LoadModelOptions opt;
  opt.config = config;
  LoadedModel loaded = load_model(path, opt);
  const ModelConfig& c = loaded.network->config();
  auto m = std::make_shared<NetworkModel>(loaded.network);
  out.summary = to_string(c.arch) + ", label " + std::to_string(c.cclass ? c.label_size : 0) + " (" +
                loaded.network->schema().concept_name + "), " + std::to_string(c.image_size) + "², " +
                to_string(loaded.report.kind);
  out.model = std::move(m);
  return out;
}

}  // namespace ebm
