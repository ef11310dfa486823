#include "engine/train/collapse_guard.h"

namespace ebm::train {

CollapseGuard::State CollapseGuard::observe(double loss) {
  ++seen_;
  if (seen_ > settle_ && loss > factor_ * best_) {
    ++above_;
    state_ = above_ >= confirm_ ? State::Collapsed : State::Suspect;
    return state_;
  }
  // A single spike that comes back is noise (a batch of hard σ draws), not a collapse.
  above_ = 0;
  if (loss < best_) best_ = loss;
  state_ = State::Ok;
  return state_;
}

}  // namespace ebm::train
