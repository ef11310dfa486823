// Sampling and classifying for `ebm eval`: a recipe's models loaded as `ebm sample` loads them, n
// samples drawn with the engine's Sampler in chunks (sample i of a seed is the same whatever the
// chunk size, so `--batch` only trades memory for speed), and the grading classifier's predictions
// of the images.
#pragma once

#include "engine/energy/energy_model.h"
#include "engine/recipe/runnable.h"
#include "models/cubes_classifier.h"

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace ebm::eval {

// A recipe's models are loaded, and its schedule filled in, by engine/recipe/runnable.h
// (load_recipe_models, apply_model_schedule), as for `ebm sample` and the studio.

struct SamplingProgress {
  int64_t chunk = 0, chunks = 0;  // 1-based chunk being sampled
  int64_t step = 0, steps = 0;    // within the chunk
  double ms_per_step = 0;
  double energy = 0;              // mean energy of the chunk at this step
};
// Called at most every 250 ms and at the last step of each chunk (reading the energy is a device sync).
using SamplingProgressFn = std::function<void(const SamplingProgress&)>;

// n samples [n,C,H,W] in [0,1] on the params' device: chunks of `chunk` samples (the last one
// smaller), chunk k starting at sample offset params.sample_offset + k·chunk. params.sample_ids
// must be empty. Throws std::invalid_argument on bad sizes, and whatever the sampler throws.
// `acceptance` (optional) receives the mean MALA/HMC acceptance over every step and sample (−1 for
// Langevin steps).
torch::Tensor sample_n(const ModelSet& models, const Node& composition, SamplerParams params, int64_t n,
                       int64_t chunk, const SamplingProgressFn& progress = {}, double* acceptance = nullptr);

// Predictions of the classifier for images [n,3,64,64], in chunks of `chunk` (no grad), on the
// images' device.
CubesPrediction classify(CubesClassifierImpl& classifier, const torch::Tensor& images, int64_t chunk);

}  // namespace ebm::eval
