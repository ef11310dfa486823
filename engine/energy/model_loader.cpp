#include "engine/energy/model_loader.h"

#include "engine/energy/network_model.h"
#include "models/checkpoint/sha256.h"
#include "models/cubes_classifier.h"
#include "engine/energy/denoising_model.h"
#include "models/checkpoint/model_file.h"
#include "models/checkpoint/tf_import.h"

#include <stdexcept>
#include <vector>

namespace ebm {

namespace {

// A TF bundle is several files; its content hash covers the index and every data shard, in order,
// so a recipe naming it is checked against all of them.
std::string sha256_of_bundle(const tf::BundleReader& reader) {
  std::vector<std::string> files{reader.index_path()};
  for (int i = 0; i < reader.header().num_shards; ++i)
    files.push_back(tf::shard_path(reader.prefix(), i, reader.header().num_shards));
  return sha256_files(files);
}

// An original TensorFlow checkpoint (prefix, .index file or its directory). Without a config it is
// read as the original's CubesNet with the label size its label-gain variables have (the cubes
// concept models); anything else needs `ebm convert` with the right flags, and the error says so.
LoadedEnergyModel load_tf_energy_model(const std::string& path, const std::optional<ModelConfig>& config) {
  const tf::BundleReader reader(path);
  const std::string scope = choose_tf_scope(reader, "");
  ModelConfig cfg = config ? *config : ModelConfig::defaults_for(Arch::CubesNet);
  if (!config) {
    if (const auto n = tf_label_size(reader, scope)) {
      cfg.label_size = *n;
    } else {
      cfg.cclass = false;
    }
  }
  LoadedTfModel m;
  try {
    cfg.validate();
    m = load_tf_network(reader.prefix(), cfg, scope);
  } catch (const std::exception& e) {
    // Damaged files (tf::TfBundleError) say what to do already; a misfit gets the way out.
    if (dynamic_cast<const tf::TfBundleError*>(&e)) throw;
    throw std::runtime_error(std::string(e.what()) +
                             (config ? "" : "\n(read as a CubesNet; for another architecture or other flags, convert it first: "
                                            "ebm convert " + reader.prefix() + " --arch ... --out model.safetensors)"));
  }
  LoadedEnergyModel out;
  out.sha256 = sha256_of_bundle(reader);
  out.summary = to_string(cfg.arch) + ", label " + std::to_string(cfg.cclass ? cfg.label_size : 0) + " (" +
                m.network->schema().concept_name + "), " + std::to_string(cfg.image_size) + "², TensorFlow checkpoint (scope " +
                m.report.scope + ", " + std::to_string(m.report.loaded.size()) + " tensors)";
  out.model = std::make_shared<NetworkModel>(m.network);
  out.config = cfg;
  out.format = "TensorFlow checkpoint";
  return out;
}

}  // namespace

bool looks_like_model_path(const std::string& path) { return tf::looks_like_tf_checkpoint(path); }

bool is_grading_classifier_file(const std::string& path) {
  try {
    return inspect_checkpoint(path).metadata.count(kClassifierConfigKey) > 0;
  } catch (const std::exception&) {
    return false;
  }
}

LoadedEnergyModel load_energy_model(const std::string& path, const std::optional<ModelConfig>& config) {
  if (tf::looks_like_tf_checkpoint(path)) return load_tf_energy_model(path, config);
  LoadedEnergyModel out;
  out.sha256 = sha256_file(path);
  const CheckpointInfo info = inspect_checkpoint(path);
  if (info.metadata.count(kClassifierConfigKey))
    throw std::runtime_error(path + " is the grading classifier (made by `ebm train-classifier`), not an energy model: "
                             "use it with `ebm eval --classifier " + path + "`; compose and sample concept models "
                             "(made by `ebm train`) instead");
  const std::optional<ModelConfig> cfg = info.config ? info.config : config;
  if (cfg && cfg->energy_kind == EnergyKind::Denoising) {
    // Denoising energies carry their noise-level wrapper in the file's metadata (engine/train).
    auto m = load_denoising_model(path);
    const ModelInfo mi = m->info();
    out.summary = "denoising " + to_string(cfg->arch) + ", label " + std::to_string(mi.label_size) + " (" +
                  mi.schema.concept_name + "), " + std::to_string(mi.image_size) + "², needs an annealed schedule";
    out.model = std::move(m);
    out.config = *cfg;
    out.format = "denoising energy (ebm safetensors)";
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
  out.config = c;
  out.format = to_string(loaded.report.kind);
  return out;
}

}  // namespace ebm
