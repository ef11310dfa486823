// ModelConfig: the typed replacement for the original's TF FLAGS. It travels inside every saved
// checkpoint (safetensors metadata "ebm.config"), so a model file is self-describing.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace ebm {

enum class Arch { CubesNet, CubesNetGen, ResNet128, CubesPredict };

// How the network's scalar output is meant to be used. `Contrastive` models are the original's
// E(x|c) trained by CD; `Denoising` models take the noise level as an extra conditioning input
// (energy-parameterized diffusion) and are sampled by annealed Langevin.
enum class EnergyKind { Contrastive, Denoising };

std::string to_string(Arch a);
Arch arch_from_string(const std::string& s);  // "cubesnet" | "cubesnetgen" | "resnet128" | "cubespredict"
std::string to_string(EnergyKind k);
EnergyKind energy_kind_from_string(const std::string& s);

struct ModelConfig {
  Arch arch = Arch::CubesNet;
  int num_filters = 64;     // d in the spec; every original model uses 64
  int num_channels = 3;
  int label_size = 2;       // CubesNet/CubesNetGen label_size; ResNet128 `classes`
  int image_size = 64;      // 64 for cubes models, 128 for ResNet128
  bool cclass = true;       // label gain/bias injection (spec 2.2)
  bool spec_norm = true;    // spectral normalization of conv/FC weights (spec 2.4)
  int spec_iter = 1;        // power iterations; the original always ends up with 1
  float spec_norm_val = 1.0f;
  bool swish_act = true;    // every original driver forces it on; off = leaky_relu(0.2)
  bool use_attention = false;  // ResNet128 only
  bool dropout = false;        // ResNet128 `train=True`: dropout 0.5 after each res block's c1
  bool augment_vis = false;    // CubesNet only: random pad/jitter/rotate per evaluation
  bool antialias = false;      // CubesNet only: binomial 3x3 channel-mixing blur, stride 2
  bool comb_mask = false;      // CubesNet only: attention-mask decomposition into cond_func parts
  int cond_func = 3;           // K masks for comb_mask
  // The original reshapes [B,K,C,H,W] memory as NHWC, scrambling each masked copy. Checkpoints
  // trained by the original need it; a freshly trained model may turn it off.
  bool comb_mask_reshape_quirk = true;
  EnergyKind energy_kind = EnergyKind::Contrastive;

  bool is_energy() const { return arch == Arch::CubesNet || arch == Arch::ResNet128; }
  int classes() const { return cclass ? label_size : 1; }

  // Defaults of the original for an architecture (image size, label size).
  static ModelConfig defaults_for(Arch a);
  // Throws std::invalid_argument naming the field and the allowed range.
  void validate() const;
};

void to_json(nlohmann::json& j, const ModelConfig& c);
void from_json(const nlohmann::json& j, ModelConfig& c);  // missing keys keep their defaults

}  // namespace ebm
