// NetworkImpl: what the four networks share — the "layers" scope dict, spectral-norm caching over
// every normalized layer, the TF variable-name map, and the "wrong kind of model" errors.
#include "models/network.h"

#include "models/layers/weighted.h"
#include "models/layers/spectral_norm.h"

#include <stdexcept>

namespace ebm {

NetworkImpl::NetworkImpl(ModelConfig config, LabelSchema schema)
    : config_(std::move(config)), schema_(std::move(schema)) {
  layers_ = register_module("layers", torch::nn::ModuleDict());
}

torch::Tensor NetworkImpl::energy(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&) {
  throw std::logic_error(to_string(config_.arch) +
                         " is not an energy model: use generate() (cubesnetgen) or predict() (cubespredict)");
}

torch::Tensor NetworkImpl::generate(const torch::Tensor&, const torch::Tensor&) {
  throw std::logic_error(to_string(config_.arch) + " is not a generator: only cubesnetgen has generate()");
}

std::pair<torch::Tensor, torch::Tensor> NetworkImpl::predict(const torch::Tensor&) {
  throw std::logic_error(to_string(config_.arch) + " is not a predictor: only cubespredict has predict()");
}

int64_t NetworkImpl::num_trainable_parameters() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

namespace {
std::vector<std::shared_ptr<SpectralWeightImpl>> spectral_layers(const torch::nn::Module& m) {
  std::vector<std::shared_ptr<SpectralWeightImpl>> out;
  for (const auto& sub : m.modules(/*include_self=*/false))
    if (auto sn = std::dynamic_pointer_cast<SpectralWeightImpl>(sub)) out.push_back(sn);
  return out;
}
}  // namespace

void NetworkImpl::cache_spectral_weights(bool update_u, bool reuse_storage) {
  for (auto& l : spectral_layers(*this)) l->cache(update_u, reuse_storage);
}

std::vector<torch::Tensor> NetworkImpl::weight_tensors() const {
  std::vector<torch::Tensor> out = parameters();
  for (const auto& b : buffers()) out.push_back(b);
  for (const auto& l : spectral_layers(*this))
    if (l->is_cached()) out.push_back(l->cached_weight());
  return out;
}

void NetworkImpl::clear_spectral_cache() {
  for (auto& l : spectral_layers(*this)) l->uncache();
}

bool NetworkImpl::spectral_cache_active() const {
  for (auto& l : spectral_layers(*this))
    if (l->is_cached()) return true;
  return false;
}

std::vector<std::pair<std::string, std::string>> NetworkImpl::tf_names(const std::string& scope) const {
  std::vector<std::string> keys;
  for (const auto& kv : named_parameters()) keys.push_back(kv.key());
  for (const auto& kv : named_buffers()) keys.push_back(kv.key());

  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& key : keys) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1)
      parts.push_back(key.substr(start, dot - start));
    parts.push_back(key.substr(start));
    if (parts.size() < 3 || parts[0] != "layers")
      throw std::logic_error("unexpected parameter name '" + key + "' outside the layers dict");
    const auto& layer = parts[1];
    if (layer == "atten") {
      if (parts[2] == "gamma") {
        out.emplace_back(key, scope + "/atten/gamma");
        continue;
      }
      const auto& sub = parts[2];
      const auto& p = parts[3];
      std::string name = p == "c" ? "atten_" + sub + "weight" : p == "b" ? "atten_" + sub + "_b1" : "atten_" + sub + "_u";
      out.emplace_back(key, scope + "/atten/" + name);
      continue;
    }
    const auto& p = parts[2];
    std::string tf;
    if (p == "c") {
      tf = "cweight";
    } else if (p == "w") {
      tf = "wweight";
    } else if (p == "u") {
      const bool is_fc = layers_->contains(layer) && (*layers_)[layer]->as<FCImpl>() != nullptr;
      tf = is_fc ? "w_u" : "c_u";
    } else {
      tf = p;  // b, g, gb, cb keep their names
    }
    out.emplace_back(key, scope + "/" + layer + "/" + tf);
  }
  return out;
}

}  // namespace ebm
