// Network: the common base of the four original models (CubesNet, CubesNetGen, ResNet128,
// CubesPredict). Parameters are registered under a ModuleDict named "layers" with the original TF
// scope names (`layers.c1_pre.c`, `layers.res_1_res_c2.g`, `layers.atten.q.u` …), exactly as the
// reference PyTorch port's state_dict, so its `.pt` files load 1:1 and TF names map mechanically.
#pragma once

#include "models/config.h"
#include "models/label_schema.h"
#include "models/layers/blocks.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ebm {

class NetworkImpl : public torch::nn::Module {
 public:
  // Registers the "layers" ModuleDict; subclasses fill it with their TF scopes.
  NetworkImpl(ModelConfig config, LabelSchema schema);

  const ModelConfig& config() const { return config_; }
  const LabelSchema& schema() const { return schema_; }
  void set_schema(LabelSchema s) { schema_ = std::move(s); }

  // Energy E(x | label) for energy models: x [B,C,H,W] in [0,1], label [B,L] (ignored when
  // cclass is off), attention_mask [B,K,H,W] logits (comb_mask models only). Returns [B,1].
  // Throws std::logic_error on non-energy models.
  virtual torch::Tensor energy(const torch::Tensor& x, const torch::Tensor& label,
                               const torch::Tensor& attention_mask = {});

  // Generator models (CubesNetGen): image [B,C,64,64] from noise z [B, 2*num_filters] and label.
  // Throws std::logic_error on other models.
  virtual torch::Tensor generate(const torch::Tensor& z, const torch::Tensor& label);

  // Supervised evaluator (CubesPredict): (logit [B,1] — regressed onto size —, pos [B,2]).
  // Throws std::logic_error on other models.
  virtual std::pair<torch::Tensor, torch::Tensor> predict(const torch::Tensor& x);

  // Trainable parameter count (buffers such as the spectral-norm `u` excluded).
  int64_t num_trainable_parameters() const;

  // Spectral norm, the original's once-per-session.run behaviour: compute every W/sigma once
  // (optionally advancing the persistent u as TF's assign does) and reuse it until cleared.
  // Sampling caches per chain; training leaves it off so gradients flow through sigma.
  // reuse_storage: every layer writes W/sigma into the tensors of its previous such cache (for a CUDA
  // graph recorded over the cache: SpectralWeightImpl::cache).
  void cache_spectral_weights(bool update_u = false, bool reuse_storage = false);
  // Every tensor the network's forward reads as a weight: parameters, buffers, and the cached
  // spectral weights while a cache is active (a captured graph depends on their addresses).
  std::vector<torch::Tensor> weight_tensors() const;
  void clear_spectral_cache();
  bool spectral_cache_active() const;

  // Gradient checkpointing of the residual blocks (models/layers/checkpoint.h, `--checkpoint-
  // activations`): their activations are recomputed in the backward instead of kept. Same results
  // (gradients to float rounding), less memory, one more forward of each block per backward.
  void set_checkpoint_activations(bool on) { checkpoint_activations_ = on; }
  bool checkpoint_activations() const { return checkpoint_activations_; }

  // The module parameter name ↔ TF variable name map of this model (scope "context_0" by default).
  // Keys are this module's named_parameters()/named_buffers() names. Layouts: conv weights `*.c` are
  // OIHW here and HWIO [k,k,c_in,c_out] in TF (TF→module: permute(3,2,0,1); module→TF:
  // permute(2,3,1,0)); every other tensor (FC `w` [in,out], u [1,c_out], g, gb, cb, b, gamma) has
  // the same layout on both sides. Converting layouts is the checkpoint code's job.
  //   layers.S.{c,b,g,gb,cb,u}   ↔ scope/S/{cweight,b,g,gb,cb,c_u}
  //   layers.F.{w,b,u}           ↔ scope/F/{wweight,b,w_u}
  //   layers.atten.{q,k,v}.{c,b,u} ↔ scope/atten/atten_{q,k,v}{weight,_b1,_u};  layers.atten.gamma ↔ scope/atten/gamma
  std::vector<std::pair<std::string, std::string>> tf_names(const std::string& scope = "context_0") const;

  // The scope dict itself (read-only use by checkpoint code and tests).
  torch::nn::ModuleDict& layers() { return layers_; }

 protected:
  // A residual block's options with this network's checkpointing switched in.
  ResBlockOptions with_checkpoint(ResBlockOptions o) const {
    o.checkpoint = checkpoint_activations_;
    return o;
  }

  ModelConfig config_;
  LabelSchema schema_;
  torch::nn::ModuleDict layers_{nullptr};
  bool checkpoint_activations_ = false;
};
TORCH_MODULE(Network);

}  // namespace ebm
