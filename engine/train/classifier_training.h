// Training the grading classifier (`ebm train-classifier`): every batch is freshly rendered on the
// device from seeded scene draws (infinite data, no pool), with per-image Gaussian pixel noise of
// std U(0, noise_max) so the grader tolerates the residual noise of samples. Loss: MSE(position) +
// 10·MSE(size) + CE(shape) + CE(colour); Adam, lr ×0.1 for the last quarter. At the end the
// classifier is measured on held-out renders (another seed) and saved with those metrics.
#pragma once

#include "engine/train/cubes_classifier.h"

#include <atomic>
#include <string>
#include <vector>

namespace ebm::train {

struct ClassifierTrainOptions {
  std::string out;             // output .safetensors
  std::string device = "auto";
  uint64_t seed = 1;
  int64_t iters = 4000;
  int64_t batch = 128;
  double lr = 1e-3;
  int num_filters = 64;
  double noise_max = 0.05;
  int64_t heldout = 1024;      // held-out renders for the reported metrics
  double time_limit_min = 0;   // stop early (and still evaluate + save) before this many minutes
  int64_t log_every = 50;
  bool progress_bar = true;
  void validate() const;       // throws std::invalid_argument naming the option
};

struct ClassifierTrainResult {
  int64_t iterations = 0;
  ClassifierMetrics heldout;
  double seconds = 0;
  std::vector<double> losses;  // mean loss per log interval
};

ClassifierTrainResult train_classifier(const ClassifierTrainOptions& opt, const std::atomic<bool>* stop = nullptr);

}  // namespace ebm::train
