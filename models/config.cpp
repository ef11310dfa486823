#include "models/config.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace ebm {

std::string to_string(Arch a) {
  switch (a) {
    case Arch::CubesNet: return "cubesnet";
    case Arch::CubesNetGen: return "cubesnetgen";
    case Arch::ResNet128: return "resnet128";
    case Arch::CubesPredict: return "cubespredict";
  }
  return "unknown";
}

Arch arch_from_string(const std::string& s) {
  if (s == "cubesnet") return Arch::CubesNet;
  if (s == "cubesnetgen") return Arch::CubesNetGen;
  if (s == "resnet128") return Arch::ResNet128;
  if (s == "cubespredict") return Arch::CubesPredict;
  throw std::invalid_argument("unknown architecture '" + s +
                              "': expected cubesnet, cubesnetgen, resnet128 or cubespredict");
}

std::string to_string(EnergyKind k) { return k == EnergyKind::Contrastive ? "cd" : "dsm"; }

EnergyKind energy_kind_from_string(const std::string& s) {
  if (s == "cd") return EnergyKind::Contrastive;
  if (s == "dsm") return EnergyKind::Denoising;
  throw std::invalid_argument("unknown energy kind '" + s + "': expected cd or dsm");
}

ModelConfig ModelConfig::defaults_for(Arch a) {
  ModelConfig c;
  c.arch = a;
  switch (a) {
    case Arch::CubesNet: c.label_size = 2; c.image_size = 64; break;
    case Arch::CubesNetGen: c.label_size = 3; c.image_size = 64; break;
    case Arch::ResNet128: c.label_size = 2; c.image_size = 128; break;
    case Arch::CubesPredict: c.label_size = 0; c.image_size = 64; c.spec_norm = false; c.cclass = false; break;
  }
  return c;
}

namespace {
void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("invalid model config: " + what);
}
}  // namespace

void ModelConfig::validate() const {
  // Limits keep a hand-edited or hostile config from asking for absurd memory.
  require(num_filters >= 1 && num_filters <= 1024, "num_filters must be in [1, 1024], got " + std::to_string(num_filters));
  require(num_channels >= 1 && num_channels <= 16, "num_channels must be in [1, 16], got " + std::to_string(num_channels));
  require(label_size >= 0 && label_size <= 4096, "label_size must be in [0, 4096], got " + std::to_string(label_size));
  require(spec_iter >= 1 && spec_iter <= 100, "spec_iter must be in [1, 100], got " + std::to_string(spec_iter));
  require(cond_func >= 1 && cond_func <= 16, "cond_func must be in [1, 16], got " + std::to_string(cond_func));
  require(image_size >= 8 && image_size <= 1024 && image_size % 8 == 0,
          "image_size must be a multiple of 8 in [8, 1024], got " + std::to_string(image_size));
  if (arch == Arch::CubesNet || arch == Arch::CubesNetGen || arch == Arch::CubesPredict)
    require(image_size == 64, "cubes models are 64x64 (image_size 64), got " + std::to_string(image_size));
  if (arch != Arch::CubesPredict) require(label_size >= 1, "label_size must be >= 1 for " + to_string(arch));
  if (comb_mask) require(arch == Arch::CubesNet, "comb_mask exists only for cubesnet");
  if (use_attention) require(arch == Arch::ResNet128, "use_attention exists only for resnet128");
}

void to_json(nlohmann::json& j, const ModelConfig& c) {
  j = nlohmann::json{{"arch", to_string(c.arch)},
                     {"num_filters", c.num_filters},
                     {"num_channels", c.num_channels},
                     {"label_size", c.label_size},
                     {"image_size", c.image_size},
                     {"cclass", c.cclass},
                     {"spec_norm", c.spec_norm},
                     {"spec_iter", c.spec_iter},
                     {"spec_norm_val", c.spec_norm_val},
                     {"swish_act", c.swish_act},
                     {"use_attention", c.use_attention},
                     {"dropout", c.dropout},
                     {"augment_vis", c.augment_vis},
                     {"antialias", c.antialias},
                     {"comb_mask", c.comb_mask},
                     {"cond_func", c.cond_func},
                     {"comb_mask_reshape_quirk", c.comb_mask_reshape_quirk},
                     {"energy_kind", to_string(c.energy_kind)}};
}

void from_json(const nlohmann::json& j, ModelConfig& c) {
  if (!j.is_object()) throw std::invalid_argument("model config must be a JSON object");
  if (j.contains("arch")) c = ModelConfig::defaults_for(arch_from_string(j.at("arch").get<std::string>()));
  auto opt = [&](const char* key, auto& field) {
    if (j.contains(key)) field = j.at(key).get<std::decay_t<decltype(field)>>();
  };
  opt("num_filters", c.num_filters);
  opt("num_channels", c.num_channels);
  opt("label_size", c.label_size);
  opt("image_size", c.image_size);
  opt("cclass", c.cclass);
  opt("spec_norm", c.spec_norm);
  opt("spec_iter", c.spec_iter);
  opt("spec_norm_val", c.spec_norm_val);
  opt("swish_act", c.swish_act);
  opt("use_attention", c.use_attention);
  opt("dropout", c.dropout);
  opt("augment_vis", c.augment_vis);
  opt("antialias", c.antialias);
  opt("comb_mask", c.comb_mask);
  opt("cond_func", c.cond_func);
  opt("comb_mask_reshape_quirk", c.comb_mask_reshape_quirk);
  if (j.contains("energy_kind")) c.energy_kind = energy_kind_from_string(j.at("energy_kind").get<std::string>());
}

}  // namespace ebm
