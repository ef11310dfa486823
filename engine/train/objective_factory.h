// The model and objective of a training run, from its options and its data: CubesNet for 64×64
// images, ResNet128 (the original's architecture for that size) for 128×128; the label schema of
// the data; contrastive divergence or denoising score matching with the data's statistics.
#pragma once

#include "engine/train/objective.h"
#include "engine/train/train_options.h"
#include "engine/train/training_source.h"

#include <memory>

namespace ebm::train {

// `device_gen`: the run's device stream (Langevin, σ and ε noise); `cd_cpu_gen`: CD's replay and
// fresh-start draws; `calibration_seed`: the batch DSM calibrates its output scale on, of
// `calibration_batch` images (the group's batch, so N ranks calibrate as one process would).
std::unique_ptr<Objective> make_objective(const TrainOptions& opt, TrainingSource& data, const torch::Device& device,
                                          torch::Generator& device_gen, torch::Generator& cd_cpu_gen,
                                          int64_t calibration_batch, uint64_t calibration_seed);

}  // namespace ebm::train
