#include "parity_util.h"

#include "models/cubesnet.h"
#include "models/layers/preprocess.h"
#include "models/registry.h"
#include "tests/support/file_bytes.h"

#include <nlohmann/json.hpp>
#include <torch/csrc/jit/serialization/pickle.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace ebm::test {

namespace fs = std::filesystem;

// EBM_SOURCE_DIR rather than EBM_TEST_DATA_DIR: the latter follows the calling directory.
std::string parity_dir() { return std::string(EBM_SOURCE_DIR) + "/tests/fixtures/parity"; }

std::vector<std::string> list_parity_cases() {
  std::vector<std::string> out;
  if (!fs::is_directory(parity_dir())) return out;
  for (const auto& e : fs::directory_iterator(parity_dir())) {
    const auto f = e.path().filename().string();
    if (f.rfind("case_", 0) == 0 && e.path().extension() == ".pt") out.push_back(f.substr(5, f.size() - 8));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TensorMap load_pickled_dict(const std::string& path, std::map<std::string, std::string>* strings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open fixture " + path + " (run tools/make_parity_fixtures.py)");
  const std::string text = file_bytes(path);
  const std::vector<char> bytes(text.begin(), text.end());
  auto iv = torch::pickle_load(bytes);
  if (!iv.isGenericDict()) throw std::runtime_error(path + " does not hold a dict");
  TensorMap out;
  for (const auto& kv : iv.toGenericDict()) {
    const auto key = kv.key().toStringRef();
    if (kv.value().isTensor()) out[key] = kv.value().toTensor();
    else if (kv.value().isString() && strings) (*strings)[key] = kv.value().toStringRef();
  }
  return out;
}

ParityCase load_parity_case(const std::string& name) {
  ParityCase c;
  c.name = name;
  std::map<std::string, std::string> s;
  c.tensors = load_pickled_dict(parity_dir() + "/case_" + name + ".pt", &s);
  c.weights = s.at("weights");
  c.kind = s.at("kind");
  c.mode = s.at("mode");
  c.config = nlohmann::json::parse(s.at("config")).get<ModelConfig>();
  return c;
}

std::shared_ptr<NetworkImpl> build_parity_model(const ParityCase& c, torch::Device device) {
  auto model = make_network(c.config);
  const auto weights = load_pickled_dict(parity_dir() + "/w_" + c.weights + ".pt");
  torch::NoGradGuard no_grad;
  auto assign = [&](const std::string& key, torch::Tensor& t) {
    auto it = weights.find(key);
    if (it == weights.end()) throw std::runtime_error("weight set " + c.weights + " lacks " + key);
    if (it->second.sizes() != t.sizes()) throw std::runtime_error("shape mismatch for " + key);
    t.copy_(it->second.to(torch::kFloat));
  };
  for (auto& kv : model->named_parameters()) assign(kv.key(), kv.value());
  for (auto& kv : model->named_buffers()) assign(kv.key(), kv.value());
  if (auto it = c.tensors.find("draw"); it != c.tensors.end()) {
    auto* net = dynamic_cast<CubesNetImpl*>(model.get());
    if (!net) throw std::runtime_error("draw given for a non-cubesnet case");
    auto d = it->second.to(torch::kLong);
    net->force_transform(TransformDraw{static_cast<int>(d[0].item<int64_t>()), static_cast<int>(d[1].item<int64_t>()),
                                       static_cast<int>(d[2].item<int64_t>()), static_cast<int>(d[3].item<int64_t>()),
                                       static_cast<int>(d[4].item<int64_t>())});
  }
  model->to(device);
  return model;
}

namespace {
torch::Tensor input(const ParityCase& c, const std::string& key, torch::Device device, bool grad) {
  auto it = c.tensors.find(key);
  if (it == c.tensors.end()) return {};
  auto t = it->second.to(torch::kFloat).to(device);
  return grad ? t.requires_grad_(true) : t;
}
}  // namespace

TensorMap run_parity_case(const ParityCase& c, NetworkImpl& model, torch::Device device) {
  TensorMap out;
  model.train(c.mode == "train");
  if (c.mode == "cached") model.cache_spectral_weights(/*update_u=*/true);
  if (c.kind == "energy") {
    auto x = input(c, "x", device, true);
    auto mask = input(c, "mask", device, true);
    auto e = model.energy(x, input(c, "label", device, false), mask);
    e.sum().backward();
    out["energy"] = e.detach().cpu();
    out["grad_x"] = x.grad().cpu();
    if (mask.defined()) out["grad_mask"] = mask.grad().cpu();
  } else if (c.kind == "generate") {
    auto z = input(c, "z", device, true);
    auto img = model.generate(z, input(c, "label", device, false));
    img.sum().backward();
    out["out"] = img.detach().cpu();
    out["grad_z"] = z.grad().cpu();
  } else if (c.kind == "predict") {
    auto x = input(c, "x", device, true);
    auto [logit, pos] = model.predict(x);
    (logit.sum() + pos.sum()).backward();
    out["logit"] = logit.detach().cpu();
    out["pos"] = pos.detach().cpu();
    out["grad_x"] = x.grad().cpu();
  } else {
    throw std::runtime_error("unknown case kind " + c.kind);
  }
  if (c.mode == "cached") model.clear_spectral_cache();
  if (c.mode == "train" || c.mode == "cached")
    for (const auto& kv : model.named_buffers())
      if (kv.key().size() > 2 && kv.key().compare(kv.key().size() - 2, 2, ".u") == 0)
        out["u_after." + kv.key()] = kv.value().detach().cpu();
  return out;
}

double max_rel_error(const torch::Tensor& got, const torch::Tensor& expected) {
  auto g = got.to(torch::kDouble).cpu(), e = expected.to(torch::kDouble).cpu();
  if (g.sizes() != e.sizes()) return std::numeric_limits<double>::infinity();
  const double scale = e.abs().max().item<double>();
  const double diff = (g - e).abs().max().item<double>();
  if (scale == 0.0) return diff;
  return diff / scale;
}

std::vector<std::string> expected_keys(const ParityCase& c) {
  std::vector<std::string> keys;
  for (const auto& kv : c.tensors) {
    const auto& k = kv.first;
    if (k == "energy" || k == "grad_x" || k == "grad_mask" || k == "out" || k == "grad_z" || k == "logit" ||
        k == "pos" || k.rfind("u_after.", 0) == 0)
      keys.push_back(k);
  }
  return keys;
}

}  // namespace ebm::test
