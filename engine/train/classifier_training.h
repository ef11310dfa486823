// Training the grading classifier (`ebm train-classifier`): every batch is freshly rendered on the
// device from seeded scene draws (infinite data, no pool), with per-image Gaussian pixel noise of
// std U(0, noise_max) so the grader tolerates the residual noise of samples. A "coord" grader also
// sees empty floors and two-object scenes (empty_fraction, two_fraction of each batch) and learns
// to count them. Loss: MSE(position) + 10·MSE(size) + CE(shape) + CE(colour) on the one-object
// scenes, + CE(count) on all; Adam with a short warm-up and a cosine decay to 1/20 of the rate over
// the run — its length is whichever ends first, the iterations or the time limit, so a run stopped
// by --time-limit still ends at the low rate. At the end the classifier is measured on held-out
// renders (another seed) and saved with those metrics. A run may continue a saved grader (init_from).
#pragma once

#include "engine/train/classifier_metrics.h"

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
  ClassifierLayout layout = ClassifierLayout::Coord;
  double noise_max = 0.05;
  double empty_fraction = 0.15;  // coord layout: share of each batch that is an empty floor
  double two_fraction = 0.15;    // coord layout: share of each batch with two objects
  int64_t heldout = 1024;      // held-out renders for the reported metrics
  double time_limit_min = 0;   // stop early (and still evaluate + save) before this many minutes
  int64_t log_every = 50;
  bool progress_bar = true;
  // A grader to continue from (`--init-from`): its width and layout replace num_filters and layout,
  // and the saved file counts its iterations on from the file's. Fresh Adam state, the same schedule.
  std::string init_from;
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
