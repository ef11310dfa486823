// Network: the common base of the four original models (CubesNet, CubesNetGen, ResNet128,
// CubesPredict). Parameters are registered under a ModuleDict named "layers" with the original TF
// scope names (`layers.c1_pre.c`, `layers.res_1_res_c2.g`, `layers.atten.q.u` …), exactly as the
// reference PyTorch port's state_dict, so its `.pt` files load 1:1 and TF names map mechanically.
#pragma once

#include "models/config.h"
#include "models/label_schema.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace ebm {

class NetworkImpl : public torch::nn::Module {
 public:
  NetworkImpl(ModelConfig config, LabelSchema schema)
      : config_(std::move(config)), schema_(std::move(schema)) {}

  const ModelConfig& config() const { return config_; }
  const LabelSchema& schema() const { return schema_; }
  void set_schema(LabelSchema s) { schema_ = std::move(s); }

  // Energy E(x | label) for energy models: x [B,C,H,W] in [0,1], label [B,L] (ignored when
  // cclass is off), attention_mask [B,K,H,W] logits (comb_mask models only). Returns [B,1].
  // Throws std::logic_error on non-energy models.
  virtual torch::Tensor energy(const torch::Tensor& x, const torch::Tensor& label,
                               const torch::Tensor& attention_mask = {});

  // Spectral norm, the original's once-per-session.run behaviour: compute every W/sigma once
  // (optionally advancing the persistent u as TF's assign does) and reuse it until cleared.
  // Sampling caches per chain; training leaves it off so gradients flow through sigma.
  void cache_spectral_weights(bool update_u = false);
  void clear_spectral_cache();
  bool spectral_cache_active() const;

  // The module parameter name ↔ TF variable name map of this model (scope "context_0" by default).
  // Keys are this module's named_parameters()/named_buffers() names.
  std::vector<std::pair<std::string, std::string>> tf_names(const std::string& scope = "context_0") const;

 protected:
  ModelConfig config_;
  LabelSchema schema_;
};
TORCH_MODULE(Network);

}  // namespace ebm
