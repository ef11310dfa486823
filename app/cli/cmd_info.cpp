// `ebm info FILE`: what a checkpoint holds — its format, the model config and label schema from its
// metadata (or from the model flags for a raw file), a parameter table with both naming schemes,
// totals, and whether the file loads cleanly into the model it describes.
#include "app/cli/cli_errors.h"
#include "app/cli/commands.h"
#include "app/cli/model_flags.h"
#include "models/checkpoint/model_file.h"
#include "models/checkpoint/name_map.h"
#include "models/registry.h"

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

namespace ebm::cli {

namespace {

struct InfoArgs {
  std::string file;
  bool json = false;
  ModelFlags model;
};

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

std::size_t dtype_bytes(const std::string& dtype) {
  try {
    return safetensors_dtype_size(dtype);
  } catch (const SafetensorsError&) {
    return 0;  // a .pt tensor of a dtype safetensors lacks: size unknown here, shown as 0
  }
}

struct Row {
  std::string name, other, dtype, shape;
  int64_t count = 0;
};

void info(const InfoArgs& a) {
  const CheckpointInfo ci = inspect_checkpoint(a.file);
  const std::optional<ModelConfig> config = a.model.resolve(ci, a.file);

  // The other naming scheme needs the network's structure (which `u` belongs to an FC layer).
  std::map<std::string, std::string> other;  // stored name → name in the other scheme
  std::optional<int64_t> trainable;
  std::string check_message;
  bool check_ok = true;
  LoadReport report;
  if (config) {
    std::shared_ptr<NetworkImpl> net;
    try {
      net = make_network(*config, ci.schema);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error("cannot build the model the file describes: " + std::string(e.what()));
    }
    trainable = net->num_trainable_parameters();
    const std::string scope = !a.model.tf_scope.empty() ? a.model.tf_scope : (ci.tf_scope.empty() ? "context_0" : ci.tf_scope);
    for (const auto& e : name_map_for(*net, scope).entries()) {
      if (ci.names == NameStyle::Tf) other[e.tf] = e.module;
      else other[e.module] = e.tf;
    }
    try {
      LoadedModel m = load_model(a.file, load_options_for(ci, config, a.model.tf_scope));
      report = m.report;
      check_message = "loads into " + to_string(config->arch) + ": " + std::to_string(report.loaded.size()) + " tensors";
      if (!report.unused.empty()) check_message += ", " + std::to_string(report.unused.size()) + " ignored (TF optimizer state)";
      if (!report.converted.empty()) check_message += ", " + std::to_string(report.converted.size()) + " converted to float32";
    } catch (const std::exception& e) {
      check_ok = false;
      check_message = e.what();
    }
  }

  std::vector<Row> rows;
  int64_t total_values = 0, total_bytes = 0;
  std::map<std::string, int64_t> per_dtype;
  for (const auto& t : ci.tensors) {
    Row r{t.name, other.count(t.name) ? other[t.name] : "-", t.dtype, shape_text(t.shape), t.numel()};
    total_values += r.count;
    total_bytes += r.count * static_cast<int64_t>(dtype_bytes(t.dtype));
    per_dtype[t.dtype] += r.count;
    rows.push_back(r);
  }
  struct stat st{};
  const int64_t file_bytes = ::stat(a.file.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
  const std::string other_title = ci.names == NameStyle::Tf ? "module name" : "TF name";

  if (a.json) {
    nlohmann::json j;
    j["file"] = a.file;
    j["bytes"] = file_bytes;
    j["format"] = to_string(ci.kind);
    j["names"] = ci.names == NameStyle::Tf ? "tf" : "module";
    j["tf_scope"] = ci.tf_scope;
    nlohmann::json meta = nlohmann::json::object();
    for (const auto& [k, v] : ci.metadata)
      if (k != kMetaConfig && k != kMetaSchema) meta[k] = v;
    j["metadata"] = meta;
    j["config"] = config ? nlohmann::json(*config) : nlohmann::json();
    j["config_source"] = ci.config ? "metadata" : (config ? "flags" : "none");
    j["schema"] = ci.schema ? nlohmann::json(*ci.schema) : nlohmann::json();
    j["tensors"] = nlohmann::json::array();
    for (const auto& r : rows)
      j["tensors"].push_back({{"name", r.name}, {ci.names == NameStyle::Tf ? "module_name" : "tf_name", r.other == "-" ? nlohmann::json() : nlohmann::json(r.other)},
                              {"dtype", r.dtype}, {"shape", r.shape}, {"count", r.count}});
    j["totals"] = {{"tensors", rows.size()}, {"values", total_values}, {"bytes", total_bytes}, {"per_dtype", per_dtype}};
    j["trainable_parameters"] = trainable ? nlohmann::json(*trainable) : nlohmann::json();
    j["check"] = config ? nlohmann::json{{"ok", check_ok}, {"message", check_message}} : nlohmann::json();
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "file:     " << a.file << " (" << file_bytes << " bytes)\n";
    std::cout << "format:   " << to_string(ci.kind) << (ci.tf_scope.empty() ? "" : ", TF scope " + ci.tf_scope) << "\n";
    for (const auto& [k, v] : ci.metadata)
      if (k != kMetaConfig && k != kMetaSchema) std::cout << "metadata: " << k << " = " << v << "\n";
    if (config) {
      std::cout << "config (" << (ci.config ? "from metadata" : "from flags") << "):\n";
      const nlohmann::json cj = *config;
      for (auto it = cj.begin(); it != cj.end(); ++it) std::cout << "  " << std::left << std::setw(24) << it.key() << it.value().dump() << "\n";
    } else {
      std::cout << "config:   none in the file; pass --arch/--label-size/... to see TF names and check loading\n";
    }
    if (ci.schema) {
      std::cout << "schema:   " << ci.schema->concept_name << ", " << ci.schema->size() << " slot(s)\n";
      for (const auto& s : ci.schema->slots) {
        std::cout << "  " << std::left << std::setw(12) << s.name;
        if (s.kind == SlotKind::Continuous) std::cout << "continuous [" << s.min << ", " << s.max << "]";
        else std::cout << "one-hot" << (s.rgb.empty() ? "" : " " + s.rgb);
        std::cout << "\n";
      }
    }
    std::size_t wn = 4, wo = other_title.size(), ws = 5;
    for (const auto& r : rows) {
      wn = std::max(wn, r.name.size());
      wo = std::max(wo, r.other.size());
      ws = std::max(ws, r.shape.size());
    }
    std::cout << "\n" << std::left << std::setw(wn + 2) << "name" << std::setw(6) << "dtype" << std::setw(ws + 2) << "shape"
              << std::right << std::setw(10) << "count" << "  " << std::left << other_title << "\n";
    for (const auto& r : rows)
      std::cout << std::left << std::setw(wn + 2) << r.name << std::setw(6) << r.dtype << std::setw(ws + 2) << r.shape
                << std::right << std::setw(10) << r.count << "  " << std::left << r.other << "\n";
    std::cout << "\ntotal:    " << rows.size() << " tensors, " << total_values << " values, " << total_bytes << " bytes of data";
    for (const auto& [d, n] : per_dtype) std::cout << "; " << d << " " << n;
    std::cout << "\n";
    if (trainable) std::cout << "trainable parameters of the model: " << *trainable << "\n";
    if (config) std::cout << "check:    " << (check_ok ? "OK, " : "FAILED: ") << check_message << "\n";
  }
  if (!check_ok) throw std::runtime_error("the file does not load into the model it describes (see check above)");
}

void register_info(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  auto* sub = app.add_subcommand("info", "Show a checkpoint's format, config, label schema and parameter table");
  sub->add_option("file", args->file, "Checkpoint: safetensors or PyTorch .pt")->required();
  sub->add_flag("--json", args->json, "Print one JSON document");
  args->model.add_to(sub);
  sub->callback([args] { run_command("info", [&] { info(*args); }, ArgumentErrors::Input); });
}

}  // namespace

EBM_CLI_COMMAND(100, register_info);

}  // namespace ebm::cli
