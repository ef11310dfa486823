// CollapseGuard: notices a denoising run whose loss jumps far above its best and stays there — the
// collapse seen on an H200 (assets/models/MODEL_CARD.md: lr 1e-3, batch 256, loss 0.013 → 0.34 in
// one log interval and never back, the network's share of the score gone). Such a run keeps
// "training" with finite numbers, so the non-finite check does not catch it, and every checkpoint
// written afterwards overwrites the last good one. The trainer feeds it each logged interval mean;
// while the loss is suspect it writes no checkpoint, and once the collapse is confirmed it stops
// with an error, leaving the last checkpoint from before the jump.
//
// Only for losses that are positive and meant to fall (DSM); CD's loss is a difference of energies
// and legitimately swings through zero.
#pragma once

#include <cstdint>
#include <limits>

namespace ebm::train {

class CollapseGuard {
 public:
  enum class State { Ok, Suspect, Collapsed };

  // `factor`: how many times the best interval mean counts as a jump; `confirm`: consecutive
  // intervals above it that confirm the collapse; `settle`: intervals observed before judging
  // (the warm-up's first losses are the best only briefly).
  explicit CollapseGuard(double factor = 10.0, int confirm = 3, int settle = 5)
      : factor_(factor), confirm_(confirm), settle_(settle) {}

  State observe(double interval_mean_loss);
  State state() const { return state_; }
  double best() const { return best_; }
  double factor() const { return factor_; }
  int confirm() const { return confirm_; }

 private:
  double factor_;
  int confirm_, settle_;
  int seen_ = 0, above_ = 0;
  double best_ = std::numeric_limits<double>::infinity();
  State state_ = State::Ok;
};

}  // namespace ebm::train
