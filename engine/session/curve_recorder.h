// CurveRecorder: the session's per-step curves (Snapshot::curves). A step's batch means are recorded
// as device tensors — no host sync per step — and copied to the host in one go when a snapshot is
// published; each publish gets a new immutable Curves (readers keep theirs).
#pragma once

#include "engine/sampling/chain_state.h"
#include "engine/session/snapshot.h"

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ebm {

class CurveRecorder {
 public:
  CurveRecorder() : curves_(std::make_shared<Curves>()) {}

  // One step's row: mean energy, gradient norm, acceptance and each term's mean (NaN: inactive).
  void record(std::int64_t step, const std::vector<std::string>& term_names, const StepStats& st);
  // The curves with every recorded row (copying pending rows to the host: one sync).
  std::shared_ptr<const Curves> flush();
  // Drops the rows after `step` (a rewind).
  void truncate_after(std::int64_t step);
  // Starts empty (a new chain).
  void clear();

 private:
  struct Row {
    std::int64_t step;
    std::shared_ptr<const std::vector<std::string>> names;
    torch::Tensor values;  // [3 + T]: mean energy, mean grad norm, acceptance, per-term means
  };
  std::vector<Row> pending_;
  std::shared_ptr<const std::vector<std::string>> row_names_;
  std::shared_ptr<const Curves> curves_;
};

}  // namespace ebm
