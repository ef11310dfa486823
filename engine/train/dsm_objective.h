// Denoising score matching on a DenoisingEnergy (see denoising_energy.h for the parameterisation
// and dsm_loss.h for the loss). Per iteration:
//   σ ~ log-normal(median 0.2, log-std 1) truncated to [σ_min, σ_max] — most weight on 0.07–0.55,
//     where objects form (training.md: log-uniform σ spent most steps on easy levels);
//   label dropout (10 %): those rows train the unconditional energy (null flag), for guidance;
//   loss = mean ‖σ·∇E(x0 + σε) − ε‖² / D;  Adam (β 0.9/0.999) with linear warm-up and global-norm
//   clip 1; EMA (0.999) of all weights, which is what sample grids and the saved model use.
// Samples come from the annealed predictor–corrector sampler (annealed_sampler.h).
#pragma once

#include "engine/train/annealed_sampler.h"
#include "engine/train/clip_adam.h"
#include "models/denoising_energy.h"
#include "engine/train/objective.h"
#include "engine/train/train_options.h"

#include <torch/torch.h>

#include <memory>

namespace ebm::train {

class DsmObjective : public Objective {
 public:
  // `model` and `ema` are two DenoisingEnergy instances of identical structure (ema gets model's
  // weights here). calib_images/labels: a data batch for the output-scale calibration of a fresh
  // run (a resumed run overwrites everything from its checkpoint).
  DsmObjective(DenoisingEnergy model, DenoisingEnergy ema, const TrainOptions& opt, const torch::Device& device,
               torch::Generator device_gen, const torch::Tensor& calib_images, const torch::Tensor& calib_labels);

  std::vector<std::string> stat_names() const override {
    return {"loss", "loss_sigma_lt_0.05", "loss_sigma_0.05_0.3", "loss_sigma_gt_0.3", "log_scale", "prior_loss"};
  }
  torch::Tensor step(const torch::Tensor& images, const torch::Tensor& labels, int64_t iteration) override;
  torch::Tensor sample(const torch::Tensor& labels, torch::Generator& gen) override;
  void save_state(TensorMap& out, const std::string& prefix) const override;
  void load_state(const TensorMap& in, const std::string& prefix) override;
  void save_model(const std::string& path, const nlohmann::json& training_info) const override;
  void init_from_model(const std::string& path, bool across_concepts) override;

  DenoisingEnergyImpl& model() { return *model_; }
  DenoisingEnergyImpl& ema() { return *ema_; }

 private:
  void update_ema();

  DenoisingEnergy model_, ema_;
  TrainOptions opt_;
  torch::Device device_;
  torch::Generator device_gen_;
  std::unique_ptr<ClipAdam> adam_;
  std::vector<torch::Tensor> params_, ema_params_;
};

}  // namespace ebm::train
