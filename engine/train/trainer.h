// Trainer: the loop of `ebm train`. Owns the data pool, the objective (cd | dsm), RNG streams,
// JSONL log, progress display, sample grids, checkpoints and the final model file.
//
// Output directory:
//   checkpoint.safetensors  everything to continue the same trajectory: weights, optimizer moments,
//                           replay buffer (cd) or EMA (dsm), RNG states, iteration, options (atomic)
//   model.safetensors       the model the run ships (self-describing; EMA weights for dsm), written
//                           with every checkpoint and at the end
//   log.jsonl               one JSON object per log point (means over the interval), and one per
//                           sample grid with its quick grade (sample_found, sample_position_error …)
//   options.json            the options of the run
//   samples/reference.png   renders of the fixed preview labels (what the samples should show)
//   samples/iter_XXXXXXXX.png  samples from noise for the same labels
//
// Data: the procedural cubes or a folder of images (training_source.h), optionally augmented
// (models/layers/augment.h, one draw per image from a saved CPU stream).
//
// Determinism: CPU runs are bit-reproducible for one thread count; a run stopped after a
// checkpoint and resumed continues the same loss sequence (tests/train). RNG streams: model init
// (global RNG, seeded), data pool scenes, batch indices + replay draws (CPU generator, saved),
// Langevin/σ/ε noise (device generator, saved), preview noise (device generator, restored after).
#pragma once

#include "engine/train/collapse_guard.h"
#include "engine/train/objective.h"
#include "engine/train/train_options.h"
#include "engine/train/training_source.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ebm::train {

// Options of a resumed run: the checkpoint's saved options with the explicitly given `overrides`
// applied. Throws std::invalid_argument naming the option when an override that may not change on
// resume (see TrainOptions::resumable_keys) differs from the saved value.
TrainOptions merge_resume_options(const nlohmann::json& saved, const nlohmann::json& overrides);

// The saved options of a run directory's checkpoint (throws when there is none).
nlohmann::json read_checkpoint_options(const std::string& out_dir);

// Why a run ended (the exceptions — divergence, collapse — end it with an error instead).
enum class StopReason { Iterations, TimeLimit, Interrupted };
std::string to_string(StopReason r);  // "iterations" | "time limit" | "interrupted"

struct TrainResult {
  int64_t start_iteration = 0;
  int64_t iterations = 0;       // iterations completed in total (including earlier runs)
  bool completed = false;       // reached opt.iters
  StopReason stop_reason = StopReason::Iterations;
  double run_seconds = 0;       // this process
  double train_seconds = 0;     // all runs of this directory together
  double it_per_s = 0;          // throughput of this run (after the first iteration)
  std::vector<std::vector<double>> logged;  // stats at each log point of this run (tests)
};

class Trainer {
 public:
  // `started`: when the process started (the time limit counts from there, including setup).
  // `group`: this process's data-parallel group (null: train alone). In a group every rank runs the
  // same loop on its rows of each batch (opt.batch per rank), gradients are averaged every step, stop
  // decisions (time limit, Ctrl-C, collapse) are agreed at log points, and only rank 0 writes the
  // output directory. The checkpoint does not depend on the group's size: resume with any.
  Trainer(TrainOptions opt, bool resume,
          std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now(),
          dist::Collective* group = nullptr);
  ~Trainer();

  // Runs until opt.iters, the time limit, or *stop becoming true; always ends with a checkpoint
  // and the model file. Throws on I/O errors (the last good checkpoint stays in place).
  TrainResult run(const std::atomic<bool>* stop = nullptr);

  const TrainOptions& options() const { return opt_; }
  Objective& objective() { return *objective_; }
  // Replaces the objective with what `wrap` makes of it (before run()): for tests that script what
  // the loop sees from a real objective — e.g. a jump in the logged loss, to run the collapse guard.
  void wrap_objective(const std::function<std::unique_ptr<Objective>(std::unique_ptr<Objective>)>& wrap);
  torch::Device device() const { return device_; }
  std::string data_summary() const { return data_->summary(); }

 private:
  void build();
  bool writer() const { return rank_ == 0; }  // the rank that owns the output directory
  void save_checkpoint(int64_t iteration);
  void load_checkpoint();
  void save_samples(int64_t iteration);
  void write_log_line(const nlohmann::json& j);
  void truncate_log(int64_t iteration);
  nlohmann::json training_info(int64_t iteration) const;

  TrainOptions opt_;
  bool resume_;
  dist::Collective* group_ = nullptr;
  int rank_ = 0, world_ = 1;
  std::chrono::steady_clock::time_point started_;
  torch::Device device_{torch::kCPU};
  std::unique_ptr<TrainingSource> data_;
  AugmentOptions augment_;
  std::unique_ptr<Objective> objective_;
  torch::Generator data_gen_, device_gen_, augment_gen_;  // augment_gen_: the batches' augmentation draws
  torch::Tensor preview_labels_;
  int64_t iteration_ = 0;
  int64_t last_checkpoint_ = 0;  // iteration of the checkpoint on disk (0: none yet)
  CollapseGuard collapse_;       // dsm only: stops a run whose loss jumped and stayed up
  double train_seconds_before_ = 0;  // from earlier runs (checkpoint)
  double run_train_seconds_ = 0;     // loop time of this run so far
  std::FILE* log_ = nullptr;
  class Progress* progress_ = nullptr;  // the display of the running run() (messages from helpers)
};

}  // namespace ebm::train
