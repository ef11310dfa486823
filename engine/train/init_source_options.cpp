#include "engine/train/init_source_options.h"

#include "models/checkpoint/model_file.h"
#include "models/checkpoint/safetensors.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace ebm::train {

const std::vector<std::string>& init_source_option_keys() {
  static const std::vector<std::string> keys{"objective",    "num_filters",    "spec_norm",     "sigma_min",
                                             "sigma_max",    "sigma_median",   "sigma_log_std", "sigma_features",
                                             "dsm_weighting", "label_dropout"};
  return keys;
}

nlohmann::json init_source_options(const std::string& path) {
  Metadata meta;
  try {
    meta = read_safetensors_header(path).metadata;
  } catch (const std::exception& e) {
    throw std::invalid_argument("--init-from " + path + ": " + e.what());
  }
  const auto it = meta.find(kMetaTraining);
  if (it == meta.end()) return nlohmann::json::object();
  nlohmann::json training;
  try {
    training = nlohmann::json::parse(it->second);
  } catch (const std::exception& e) {
    throw std::invalid_argument("--init-from " + path + ": its " + std::string(kMetaTraining) +
                                " metadata is not JSON (" + e.what() + ")");
  }
  if (!training.is_object() || !training.contains("options") || !training.at("options").is_object())
    return nlohmann::json::object();
  return training.at("options");
}

std::vector<std::string> inherit_init_source_options(TrainOptions* o, const nlohmann::json& source,
                                                     const std::set<std::string>& given) {
  nlohmann::json now;
  to_json(now, *o);
  nlohmann::json taken = nlohmann::json::object();
  std::vector<std::string> changed;
  for (const auto& key : init_source_option_keys()) {
    if (given.count(key) || !source.contains(key)) continue;
    if (source.at(key) == now.at(key)) continue;
    taken[key] = source.at(key);
    changed.push_back(key + " " + source.at(key).dump());
  }
  if (taken.empty()) return changed;
  try {
    from_json(taken, *o);
  } catch (const std::exception& e) {
    throw std::invalid_argument("--init-from: the source file's training options do not fit this version (" +
                                std::string(e.what()) + "); give them on the command line");
  }
  return changed;
}

}  // namespace ebm::train
