#include "models/checkpoint/tf_convert.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace ebm {

TfImportReport convert_tf_checkpoint(const std::string& path, const ModelConfig& config, const std::string& out,
                                     const std::string& scope, const SaveModelOptions& save) {
  LoadedTfModel m = load_tf_network(path, config, scope);
  SaveModelOptions opt = save;
  opt.extra[kMetaTfSource] = std::filesystem::path(m.report.prefix).filename().string();
  nlohmann::json skipped = nlohmann::json::object();
  for (const auto& [name, why] : m.report.skipped) skipped[name] = why;
  opt.extra[kMetaTfSkipped] = skipped.dump();
  save_model(out, *m.network, opt);
  return m.report;
}

}  // namespace ebm
