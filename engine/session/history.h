// History: a bounded ring of kept chain states, so a run can be rewound to any kept step, edited and
// continued. The bound is in bytes of tensor data (states live on the models' device); when a new
// state does not fit, the oldest ones go.
#pragma once

#include "engine/sampling/chain_state.h"

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace ebm {

class History {
 public:
  explicit History(std::int64_t budget_bytes = std::int64_t{256} << 20, std::int64_t every = 1)
      : budget_(budget_bytes), every_(every < 1 ? 1 : every) {}

  void configure(std::int64_t budget_bytes, std::int64_t every);
  // Keeps `s` when its step is a multiple of `every` (step 0 always). States share tensors with the
  // chain, so keeping costs no copy.
  void offer(const ChainState& s);
  // Whether offer() would keep a state of `step` (ask first when the state costs work to make).
  bool wants(std::int64_t step) const { return step == 0 || step % every_ == 0; }
  // The kept state of exactly `step`, if any.
  std::optional<ChainState> find(std::int64_t step) const;
  // Drops states after `step` (after a rewind they belong to an abandoned branch).
  void truncate_after(std::int64_t step);
  void clear();

  std::vector<std::int64_t> steps() const;
  // (step, images) of every kept state, oldest first (for sequence exports).
  std::vector<std::pair<std::int64_t, torch::Tensor>> frames() const;
  std::int64_t bytes() const { return bytes_; }
  std::int64_t budget() const { return budget_; }

 private:
  void evict();

  std::int64_t budget_;
  std::int64_t every_;
  std::int64_t bytes_ = 0;
  std::deque<ChainState> ring_;
};

}  // namespace ebm
