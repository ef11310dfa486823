// EnergyModel: what the sampler needs from a model, whatever it is. A loaded network (NetworkModel,
// network_model.h) is one; tests and analytic energies (FunctionModel below) are others. Keeping the
// sampler on this small interface lets the composition and session logic be tested with
// closed-form energies whose gradients are known exactly.
#pragma once

#include "models/guidance.h"
#include "models/label_schema.h"

#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ebm {

struct ModelInfo {
  int channels = 3;
  int image_size = 64;
  int label_size = 0;        // length of the label vector a term must give (0: no label)
  int attention_masks = 0;   // K of a comb_mask model (0: none); the sampler runs the mask chain
  bool denoising = false;    // energy depends on the schedule's noise level sigma
  // Classifier-free guidance a term of this model uses unless the recipe sets one (denoising models
  // trained with label dropout accept an undefined label as "unconditional"; others only 1).
  double guidance = 1.0;
  // The noise levels at which that guidance applies (guidance.h); every σ unless the file says.
  GuidanceInterval guidance_interval;
  double sigma_min = 0.0, sigma_max = 0.0;  // denoising models: the noise range they were trained on
  // Denoising models: the per-channel mean of their training images (empty: unknown). Chains on
  // their noise ladder start around it, as training's noised states do at σ_max.
  std::vector<float> data_mean;
  LabelSchema schema;        // what each label slot means (for validation and widgets)
};

class EnergyModel {
 public:
  virtual ~EnergyModel() = default;

  // x [B,C,H,W] (requires grad), label [B,L] (undefined when label_size is 0), attention_mask
  // [B,K,H,W] logits (undefined unless attention_masks > 0), sigma: the schedule's current noise
  // level (0 for a constant schedule). Returns [B] or [B,1] energies, differentiable w.r.t. x and
  // the mask.
  virtual torch::Tensor energy(const torch::Tensor& x, const torch::Tensor& label,
                               const torch::Tensor& attention_mask, double sigma) = 0;
  // The same energy with the noise level as a 0-dim float tensor on x's device: what the sampler
  // calls, so a captured CUDA graph replays with a new σ written into that tensor. The default reads
  // σ on the host (a device sync, and not allowed inside a capture): models override it.
  virtual torch::Tensor energy_at(const torch::Tensor& x, const torch::Tensor& label,
                                  const torch::Tensor& attention_mask, const torch::Tensor& sigma) {
    return energy(x, label, attention_mask, sigma.item<double>());
  }
  virtual ModelInfo info() const = 0;

  // Called when a chain starts (and again after a model change) and when it stops: networks cache
  // their spectrally normalised weights once per chain, as the original did once per session.run.
  virtual void begin_chain() {}
  virtual void end_chain() {}
  // Moves parameters to `device`; the sampler keeps every tensor of a chain on the models' device.
  virtual void to_device(const torch::Device& device) {}
  // An independent copy with the same weights, on this model's device, that the caller may move to
  // another device: a composition sampled on several GPUs at once evaluates one copy per GPU
  // (sharded_sampler.h). nullptr: this kind of model cannot be copied.
  virtual std::shared_ptr<EnergyModel> replicate() const { return nullptr; }
};

using ModelSet = std::map<std::string, std::shared_ptr<EnergyModel>>;

// The ModelInfo of a model by name (nullopt: not loaded, or not yet).
using ModelInfoOf = std::function<std::optional<ModelInfo>(const std::string& model)>;
// The lookup over `models` (which must outlive it).
inline ModelInfoOf info_lookup(const ModelSet& models) {
  return [&models](const std::string& name) -> std::optional<ModelInfo> {
    const auto it = models.find(name);
    if (it == models.end() || !it->second) return std::nullopt;
    return it->second->info();
  };
}

// An energy given as a function of (x, label): analytic energies, tests, quick experiments.
class FunctionModel : public EnergyModel {
 public:
  using Fn = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& label)>;
  FunctionModel(Fn fn, ModelInfo info) : fn_(std::move(fn)), info_(std::move(info)) {}

  torch::Tensor energy(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor&,
                       double) override {
    return fn_(x, label);
  }
  torch::Tensor energy_at(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor&,
                          const torch::Tensor&) override {
    return fn_(x, label);
  }
  ModelInfo info() const override { return info_; }
  // The function is shared: it must make its tensors on x's device (as the tests' energies do).
  std::shared_ptr<EnergyModel> replicate() const override { return std::make_shared<FunctionModel>(fn_, info_); }

 private:
  Fn fn_;
  ModelInfo info_;
};

}  // namespace ebm
