#include "models/checkpoint/model_file.h"

#include "models/checkpoint/atomic_file.h"
#include "models/checkpoint/name_map.h"
#include "models/checkpoint/torch_pickle.h"
#include "models/registry.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

namespace ebm {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw CheckpointError("cannot load model '" + path + "': " + what);
}

std::string shape_text(c10::IntArrayRef s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

// Up to `max` names, comma separated, with a count of the rest: error messages stay readable.
std::string name_list(const std::vector<std::string>& names, std::size_t max = 6) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < max; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > max) out += " and " + std::to_string(names.size() - max) + " more";
  return out;
}

const char* kNeedConfigHelp =
    "pass the architecture with --arch cubesnet|cubesnetgen|resnet128|cubespredict, --label-size N, "
    "--num-filters N (default 64) and any of --no-spec-norm, --no-cclass, --leaky, --attention the "
    "model was trained with";

bool is_tf_bookkeeping(const std::string& name) {
  auto ends = [&](const std::string& s) {
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends("/Adam") || ends("/Adam_1") || name == "beta1_power" || name == "beta2_power" || name == "global_step";
}

template <typename T>
T parse_meta_json(const Metadata& meta, const char* key, const std::string& path) {
  try {
    return nlohmann::json::parse(meta.at(key)).get<T>();
  } catch (const std::exception& e) {
    fail(path, std::string("its metadata '") + key + "' is not valid: " + e.what());
  }
}

// The stored form of a file, before any model is built.
struct RawCheckpoint {
  CheckpointKind kind = CheckpointKind::EbmSafetensors;
  Metadata metadata;
  TensorMap tensors;
  std::string container;  // .pt: which dict entry held the state_dict
};

enum class FileFormat { Safetensors, TorchZip };

FileFormat sniff(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError("cannot read '" + path + "': " + std::strerror(errno));
  if (looks_like_safetensors(path)) return FileFormat::Safetensors;
  if (looks_like_torch_zip(path)) return FileFormat::TorchZip;
  unsigned char b[2] = {0, 0};
  in.read(reinterpret_cast<char*>(b), 2);
  if (b[0] == 0x80 && b[1] >= 2)
    fail(path, "it is a PyTorch file in the legacy (pre-1.6) format, which LibTorch cannot read; re-save it "
               "in Python with torch.save(torch.load(path), path)");
  fail(path, "it is neither a safetensors file nor a PyTorch .pt (zip) file. A TensorFlow checkpoint "
             "(.index + .data-*) is read by the TF importer (models/checkpoint/tf_import.h), then saved "
             "as safetensors (docs/checkpoints.md)");
}

CheckpointKind classify_safetensors(const Metadata& meta, const std::vector<std::string>& names) {
  if (meta.count(kMetaFormatVersion)) return CheckpointKind::EbmSafetensors;
  return looks_tf_named(names) ? CheckpointKind::TfSafetensors : CheckpointKind::ModuleSafetensors;
}

RawCheckpoint read_raw(const std::string& path) {
  RawCheckpoint raw;
  if (sniff(path) == FileFormat::TorchZip) {
    raw.kind = CheckpointKind::TorchPickle;
    raw.tensors = read_torch_state_dict(path, &raw.container);
    return raw;
  }
  SafetensorsFile f = read_safetensors(path);
  std::vector<std::string> names;
  for (const auto& kv : f.tensors) names.push_back(kv.first);
  raw.kind = classify_safetensors(f.metadata, names);
  raw.metadata = std::move(f.metadata);
  raw.tensors = std::move(f.tensors);
  return raw;
}

void check_format_version(const Metadata& meta, const std::string& path) {
  const std::string& v = meta.at(kMetaFormatVersion);
  if (v != std::to_string(kModelFormatVersion))
    fail(path, "it has ebm.format_version '" + v + "' but this build reads version " +
                   std::to_string(kModelFormatVersion) + " (a newer ebm wrote it?)");
}

// Field-by-field comparison of two configs, for "the flags contradict the file" errors.
std::vector<std::string> config_differences(const ModelConfig& file, const ModelConfig& given) {
  const nlohmann::json a = file, b = given;
  std::vector<std::string> out;
  for (auto it = a.begin(); it != a.end(); ++it)
    if (!b.contains(it.key()) || b[it.key()] != it.value())
      out.push_back(it.key() + ": file " + it.value().dump() + ", given " + (b.contains(it.key()) ? b[it.key()].dump() : "none"));
  return out;
}

// Builds the network without disturbing the global RNG stream: a caller who seeded Torch and then
// loads a model gets the same random numbers as one who did not load anything.
std::shared_ptr<NetworkImpl> build_quietly(const ModelConfig& config, const std::optional<LabelSchema>& schema) {
  auto gen = at::detail::getDefaultCPUGenerator();
  torch::Tensor state;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    state = gen.get_state();
  }
  std::shared_ptr<NetworkImpl> net;
  try {
    net = make_network(config, schema);
  } catch (...) {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
    throw;
  }
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
  return net;
}

// Maps a state_dict name from another PyTorch program onto ours: DataParallel's `module.` prefix
// goes, and a missing `layers.` prefix is added when that names one of our tensors.
std::string normalize_module_name(std::string name, const TensorMap& ours) {
  while (name.rfind("module.", 0) == 0) name = name.substr(7);
  if (!ours.count(name) && ours.count("layers." + name)) name = "layers." + name;
  return name;
}

}  // namespace

std::string to_string(CheckpointKind k) {
  switch (k) {
    case CheckpointKind::EbmSafetensors: return "ebm safetensors";
    case CheckpointKind::TfSafetensors: return "raw safetensors, TF names";
    case CheckpointKind::ModuleSafetensors: return "raw safetensors, module names";
    case CheckpointKind::TorchPickle: return "PyTorch state_dict";
  }
  return "unknown";
}

TensorMap module_state(const NetworkImpl& network) {
  TensorMap out;
  for (const auto& kv : network.named_parameters(/*recurse=*/true)) out[kv.key()] = kv.value().detach().to(torch::kCPU);
  for (const auto& kv : network.named_buffers(/*recurse=*/true)) out[kv.key()] = kv.value().detach().to(torch::kCPU);
  return out;
}

void save_model(const std::string& path, const NetworkImpl& network, const SaveModelOptions& options) {
  Metadata meta;
  for (const auto& [k, v] : options.extra) {
    if (k.rfind("ebm.", 0) == 0 && k != kMetaTraining)
      throw CheckpointError("cannot save model '" + path + "': metadata key '" + k + "' is reserved");
    meta[k] = v;
  }
  meta[kMetaFormatVersion] = std::to_string(kModelFormatVersion);
  meta[kMetaConfig] = nlohmann::json(network.config()).dump();
  meta[kMetaSchema] = nlohmann::json(network.schema()).dump();
  TensorMap state = module_state(network);
  if (options.names == NameStyle::Tf) {
    NameConversion tf = name_map_for(network, options.tf_scope).to_tf(state);
    if (!tf.complete())  // every tensor of a network has a TF name; anything else is a bug
      throw CheckpointError("cannot save model '" + path + "' with TF names: no TF name for " + name_list(tf.unused));
    state = std::move(tf.tensors);
    meta[kMetaNames] = "tf";
    meta[kMetaTfScope] = options.tf_scope;
  } else {
    meta[kMetaNames] = "module";
  }
  write_safetensors(path, state, meta);
}

CheckpointInfo inspect_checkpoint(const std::string& path) {
  CheckpointInfo info;
  std::vector<std::string> names;
  if (sniff(path) == FileFormat::TorchZip) {
    info.kind = CheckpointKind::TorchPickle;
    for (const auto& [name, t] : read_torch_state_dict(path)) {
      TensorInfo ti;
      ti.name = name;
      try {
        ti.dtype = safetensors_dtype_name(t.scalar_type());
      } catch (const SafetensorsError&) {
        ti.dtype = c10::toString(t.scalar_type());
      }
      ti.shape = t.sizes().vec();
      info.tensors.push_back(ti);
      names.push_back(name);
    }
  } else {
    SafetensorsHeader h = read_safetensors_header(path);
    info.metadata = std::move(h.metadata);
    for (const auto& t : h.tensors) names.push_back(t.name);
    std::sort(h.tensors.begin(), h.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
    info.tensors = std::move(h.tensors);
    info.kind = classify_safetensors(info.metadata, names);
  }
  if (info.kind == CheckpointKind::EbmSafetensors) {
    check_format_version(info.metadata, path);
    if (info.metadata.count(kMetaConfig)) info.config = parse_meta_json<ModelConfig>(info.metadata, kMetaConfig, path);
    if (info.metadata.count(kMetaSchema)) info.schema = parse_meta_json<LabelSchema>(info.metadata, kMetaSchema, path);
    const auto it = info.metadata.find(kMetaNames);
    info.names = it != info.metadata.end() && it->second == "tf" ? NameStyle::Tf : NameStyle::Module;
  } else {
    info.names = info.kind == CheckpointKind::TfSafetensors ? NameStyle::Tf : NameStyle::Module;
  }
  if (info.names == NameStyle::Tf) {
    const auto it = info.metadata.find(kMetaTfScope);
    try {
      info.tf_scope = it != info.metadata.end() ? it->second : detect_tf_scope(names);
    } catch (const std::invalid_argument&) {
      info.tf_scope.clear();  // several scopes: `ebm info` still lists the tensors
    }
  }
  return info;
}

TensorMap read_checkpoint_tensors(const std::string& path, CheckpointKind* kind) {
  RawCheckpoint raw = read_raw(path);
  if (kind) *kind = raw.kind;
  return std::move(raw.tensors);
}

LoadedModel load_model(const std::string& path, const LoadModelOptions& options) {
  RawCheckpoint raw = read_raw(path);
  LoadReport report;
  report.kind = raw.kind;
  report.metadata = raw.metadata;

  // 1. Which model: from the metadata, or from the caller for raw files.
  ModelConfig config;
  std::optional<LabelSchema> schema = options.schema;
  NameStyle names = NameStyle::Module;
  if (raw.kind == CheckpointKind::EbmSafetensors) {
    check_format_version(raw.metadata, path);
    if (!raw.metadata.count(kMetaConfig)) fail(path, "its metadata has no ebm.config");
    config = parse_meta_json<ModelConfig>(raw.metadata, kMetaConfig, path);
    if (options.config) {
      const auto diff = config_differences(config, *options.config);
      if (!diff.empty())
        fail(path, "the given model options contradict the file's own config (" + name_list(diff, 20) +
                       "); a file with ebm metadata needs no --arch/--label-size/... flags");
    }
    if (!schema && raw.metadata.count(kMetaSchema)) schema = parse_meta_json<LabelSchema>(raw.metadata, kMetaSchema, path);
    const auto it = raw.metadata.find(kMetaNames);
    names = it != raw.metadata.end() && it->second == "tf" ? NameStyle::Tf : NameStyle::Module;
  } else {
    if (!options.config) fail(path, "it is a " + to_string(raw.kind) + " file without ebm metadata, so the architecture is unknown: " + kNeedConfigHelp);
    config = *options.config;
    names = raw.kind == CheckpointKind::TfSafetensors ? NameStyle::Tf : NameStyle::Module;
  }
  std::shared_ptr<NetworkImpl> net;
  try {
    net = build_quietly(config, schema);
  } catch (const std::invalid_argument& e) {
    fail(path, e.what());
  }
  TensorMap ours = module_state(*net);

  // 2. The file's tensors under our module names.
  TensorMap incoming;
  std::map<std::string, std::string> stored_name;  // module name → name in the file (for messages)
  if (names == NameStyle::Tf) {
    std::string scope = options.tf_scope;
    if (scope.empty()) {
      const auto it = raw.metadata.find(kMetaTfScope);
      std::vector<std::string> file_names;
      for (const auto& kv : raw.tensors) file_names.push_back(kv.first);
      try {
        scope = it != raw.metadata.end() ? it->second : detect_tf_scope(file_names);
      } catch (const std::invalid_argument& e) {
        fail(path, e.what());
      }
      if (scope.empty()) fail(path, "no TF model variables (scope/layer/name) found in it");
    }
    report.tf_scope = scope;
    const NameMap map = name_map_for(*net, scope);
    NameConversion conv;
    try {
      conv = map.to_module(raw.tensors);
    } catch (const std::invalid_argument& e) {
      fail(path, e.what());
    }
    incoming = std::move(conv.tensors);
    for (const auto& e : map.entries()) stored_name[e.module] = e.tf;
    for (auto& u : conv.unused) report.unused.push_back(u);
  } else {
    for (auto& [name, t] : raw.tensors) {
      const std::string mod = normalize_module_name(name, ours);
      if (!ours.count(mod)) {
        report.unused.push_back(name);
        continue;
      }
      if (incoming.count(mod)) fail(path, "tensors '" + stored_name[mod] + "' and '" + name + "' both map to '" + mod + "'");
      stored_name[mod] = name;
      incoming[mod] = t;
    }
  }

  // 3. Check everything before touching the network, in the network's own order (so the first
  //    problems named are the first layers), and report all kinds of mismatch in one message.
  std::vector<std::string> order;
  for (const auto& kv : net->named_parameters(/*recurse=*/true)) order.push_back(kv.key());
  for (const auto& kv : net->named_buffers(/*recurse=*/true)) order.push_back(kv.key());
  std::vector<std::string> problems;
  for (const auto& name : order) {
    const torch::Tensor& mine = ours.at(name);
    auto it = incoming.find(name);
    if (it == incoming.end()) {
      report.missing.push_back(name);
      continue;
    }
    const torch::Tensor& t = it->second;
    const std::string label = stored_name[name] == name ? "'" + name + "'" : "'" + stored_name[name] + "' (" + name + ")";
    if (t.sizes() != mine.sizes()) {
      problems.push_back("tensor " + label + " has shape " + shape_text(t.sizes()) + " in the file but " +
                         shape_text(mine.sizes()) + " in the model");
    } else if (!t.is_floating_point() && mine.is_floating_point()) {
      problems.push_back(std::string("tensor ") + label + " is " + c10::toString(t.scalar_type()) + ", not a floating-point type");
    } else if (t.scalar_type() != mine.scalar_type()) {
      report.converted.push_back(name);
    }
  }
  std::vector<std::string> unexpected;
  for (const auto& u : report.unused)
    if (!(names == NameStyle::Tf && is_tf_bookkeeping(u))) unexpected.push_back(u);
  std::vector<std::string> parts;
  if (!problems.empty()) parts.push_back(name_list(problems, 4));
  if (!report.missing.empty() && !options.allow_missing)
    parts.push_back("it lacks " + std::to_string(report.missing.size()) + " tensor(s) of the model: " + name_list(report.missing, 4));
  if (!unexpected.empty() && !options.allow_unused)
    parts.push_back("it has " + std::to_string(unexpected.size()) + " tensor(s) the model does not: " + name_list(unexpected, 4));
  if (!parts.empty()) {
    std::string msg;
    for (const auto& p : parts) msg += (msg.empty() ? "" : "; ") + p;
    const std::string model_text = to_string(config.arch) + " (num_filters " + std::to_string(config.num_filters) +
                                   ", label_size " + std::to_string(config.label_size) + ")";
    fail(path, msg + ". The file does not fit a " + model_text +
                   (raw.kind == CheckpointKind::EbmSafetensors ? std::string(" (the config in its own metadata): the file is inconsistent")
                                                               : std::string("; check the model flags: ") + kNeedConfigHelp));
  }

  // 4. Fill the network (it is ours alone until returned, so no one sees it half-filled).
  {
    torch::NoGradGuard no_grad;
    auto params = net->named_parameters(/*recurse=*/true);
    auto buffers = net->named_buffers(/*recurse=*/true);
    for (const auto& [name, t] : incoming) {
      torch::Tensor* dst = params.find(name);
      if (!dst) dst = buffers.find(name);
      dst->copy_(t);
      report.loaded.push_back(name);
    }
  }
  return {std::move(net), std::move(report)};
}

}  // namespace ebm
