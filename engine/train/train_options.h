// TrainOptions: everything that defines a training run of `ebm train`. Saved in every checkpoint
// (JSON) so `--resume` continues with exactly the settings that started the run; only the options
// listed in resumable_keys() may change on resume.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "models/layers/augment.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ebm::train {

struct TrainOptions {
  // What and where.
  std::string concept_name = "position";  // position | size | shape | color | count
  std::string objective = "cd";           // cd | dsm
  std::string out_dir;
  std::string device = "auto";            // auto | cpu | cuda | cuda:N
  uint64_t seed = 1;
  // A model file (model.safetensors of an earlier run) whose weights start this run instead of a
  // random init; the optimizer, EMA warm-up and data stream start fresh. Continues training across
  // sittings when only the model file travels (a checkpoint with optimizer state is 4× larger).
  std::string init_from;
  // With init_from: the file may be of another concept whose label has as many values (a warm start
  // of the count concept from the shape model, say); the weights carry over, the label's meaning does not.
  bool init_across_concepts = false;

  // Length and cadence.
  int64_t iters = 30000;         // total iterations (a resumed run continues up to this count)
  double time_limit_min = 0;     // stop cleanly (checkpoint + model) before this many minutes; 0 = none
  int64_t batch = 64;
  int64_t log_every = 10;        // JSONL line (means over the interval) and plain progress line
  int64_t sample_every = 1000;   // PNG grid of samples from noise; 0 = only at the end
  int64_t ckpt_every = 500;      // checkpoint + model file
  int64_t sample_n = 64;         // images per sample grid (labels fixed for the whole run)
  bool progress_bar = true;      // redraw one line on a TTY (plain lines otherwise)

  // Data: a pool of rendered scenes kept on the device, drawn uniformly with replacement.
  int64_t pool = 50000;
  int num_objects = 1;
  // Or a folder of images with labels.csv (engine/data/image_folder.h; `--data DIR`): then the
  // concept is what `label_columns` say, named by concept_name (any name but the cubes ones).
  std::string data_dir;
  std::vector<std::string> label_columns;  // CSV columns that make the label, in order
  std::vector<std::string> one_hot;        // "COLUMN:N": class indices 0 … N−1 expand to N values
  std::vector<std::string> label_ranges;   // "COLUMN:LO,HI" (a continuous column's range; default [−1, 1])
  int image_size = 64;                     // 64: CubesNet; 128: ResNet128 (the original's for that size)
  // Augmentation of every training batch (models/layers/augment.h); 0 = off.
  double augment_color = 0;
  int augment_translate = 0;
  double augment_rotate = 0;
  double augment_scale = 0;
  double augment_blur = 0;
  // Recompute the residual blocks' activations in the backward (models/layers/checkpoint.h).
  bool checkpoint_activations = false;

  // Model (CubesNet).
  int num_filters = 64;
  bool spec_norm = true;         // CD: the original's spectral norm; DSM forces it off

  // Speed. `precision` is what the user asks for (`--precision`); resolve_precision() turns it into
  // the two switches the objectives read. "auto": bf16 autocast + channels-last for CD on CUDA (the
  // chain's replayed step is about 2x faster in bf16 there, docs/gpu.md), fp32 otherwise. A checkpoint
  // stores the resolved value, so a resumed run keeps the numerics it started with.
  std::string precision = "auto";  // auto | fp32 | bf16
  bool bf16 = false;             // CUDA autocast bf16 (Langevin chain and forward passes)
  bool channels_last = false;
  bool cudnn_benchmark = true;
  bool cuda_graph = true;        // CD on CUDA: replay the chain's Langevin step from a captured CUDA graph

  // Optimizer (0 = objective default: CD 3e-4, DSM 5e-4).
  double lr = 0;

  // CD (spec §4).
  int langevin_steps = 40;
  double step_lr = 100.0;
  double langevin_noise = 0.001;
  int64_t replay_size = 10000;
  double keep_ratio = 0.05;      // probability that a chain starts from fresh noise when replay is on
  bool replay_quirk = true;      // uint8 replay with the original's /256 dequantisation
  double l2_coeff = 1.0;
  double ml_coeff = 1.0;
  int sample_steps = 200;        // CD sample grids: Langevin steps from noise

  // DSM.
  double sigma_min = 0.01, sigma_max = 1.0;
  double sigma_median = 0.2;     // log-normal σ distribution, truncated to [sigma_min, sigma_max]
  double sigma_log_std = 1.0;
  // Per-σ weight of the ε-regression loss: "eps" = 1 (every σ alike); "edm" = (σ² + σ_d²)/σ_d²,
  // Karras et al. 2022's weighting written for ε: it equals unit weight on the denoised image's error
  // scaled to unit variance, so large σ — where an object has to appear out of noise — is not
  // under-weighted the way plain ε-regression weights it (an x0 error there costs 1/σ² less).
  std::string dsm_weighting = "eps";
  int sigma_features = 3;
  double label_dropout = 0.1;    // trains the unconditional energy too (null flag)
  double ema = 0.999;
  int64_t warmup = 500;          // linear lr warm-up iterations
  double grad_clip = 1.0;        // global gradient norm
  int sample_levels = 40;        // DSM sample grids: annealed noise levels
  int sample_corrector = 1;      // Langevin steps per level
  double sample_r = 0.1;         // corrector step = r·σ²
  double sample_guidance = 1.0;  // classifier-free guidance of the sample grids, saved in the model
                                 // file as its recommended guidance (DenoisingSettings::guidance)

  bool folder_data() const { return !data_dir.empty(); }
  double effective_lr() const { return lr > 0 ? lr : (objective == "dsm" ? 5e-4 : 3e-4); }
  AugmentOptions augment() const;
  // The parsed --one-hot and --label-range specs (throw std::invalid_argument naming the bad one).
  std::map<std::string, int> one_hot_columns() const;
  std::map<std::string, std::pair<float, float>> label_range_columns() const;
  // Throws std::invalid_argument naming the option and its allowed range.
  void validate() const;
  // "auto" → "bf16" (CD on CUDA) or "fp32"; then bf16 = (precision == "bf16"), and bf16 brings
  // channels-last with it (the pair is what is fast; fp32 keeps `channels_last` as given). A fresh
  // run that asks for bf16 off CUDA is an error (autocast would do nothing there); a resumed one keeps
  // its stored precision on any device.
  void resolve_precision(bool on_cuda, bool fresh_run);
  // What "auto" chooses: "bf16" for CD on CUDA, "fp32" otherwise.
  std::string auto_precision(bool on_cuda) const;
  // Options that may differ between a checkpoint and the command that resumes it.
  static const std::vector<std::string>& resumable_keys();
};

void to_json(nlohmann::json& j, const TrainOptions& o);
void from_json(const nlohmann::json& j, TrainOptions& o);  // missing keys keep defaults

}  // namespace ebm::train
