// The smallest training run that still goes through every part of the trainer on a CPU: 6 iterations
// of batch 4 on a 4-filter network, a checkpoint every 3 (so a resume has something to resume), a
// log line per iteration, no sample grids, and chains and ladders of 2-3 steps. Tests change what
// they are about (the data source, the chain length) on the copy they get.
#pragma once

#include "engine/train/trainer.h"

#include <string>
#include <vector>

namespace ebm::test {

inline train::TrainOptions tiny_train_options(const std::string& objective, const std::string& out_dir) {
  train::TrainOptions o;
  o.objective = objective;
  o.concept_name = "position";
  o.out_dir = out_dir;
  o.device = "cpu";
  o.iters = 6;
  o.batch = 4;
  o.log_every = 1;
  o.sample_every = 0;
  o.ckpt_every = 3;
  o.sample_n = 4;
  o.progress_bar = false;
  o.pool = 24;
  o.num_filters = 4;
  o.langevin_steps = 3;
  o.sample_steps = 2;
  o.replay_size = 8;  // replay starts on the third iteration (size > batch)
  o.sample_levels = 3;
  o.warmup = 2;
  return o;
}

// The loss of every logged iteration (the first column of each log row).
inline std::vector<double> logged_losses(const train::TrainResult& r) {
  std::vector<double> l;
  for (const auto& row : r.logged) l.push_back(row.front());
  return l;
}

}  // namespace ebm::test
