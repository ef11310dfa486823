// Building a Snapshot: the picture of a session made from its sampler and what the worker keeps
// beside it (status, counters, history, curves, gradient maps). A plain function with no thread and
// no queue: the worker publishes what it returns, and tests build snapshots from a sampler of their
// own.
#pragma once

#include "engine/sampling/sharded_sampler.h"
#include "engine/session/history.h"
#include "engine/session/snapshot.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ebm {

// The worker's part of a snapshot.
struct SnapshotInputs {
  std::uint64_t seq = 0;
  SessionStatus status = SessionStatus::Idle;
  std::uint64_t chain_id = 0;
  std::vector<std::string> models;      // loaded model names
  const StepStats* last_stats = nullptr;  // the last step's statistics (null: none yet)
  bool preview_denoised = false;          // images: the last step's clean-image estimate when it has one
  std::int64_t stats_step = -1;           // the chain step after which last_stats was measured
  const History* history = nullptr;       // kept states (null: none)
  std::shared_ptr<const Curves> curves;
  std::shared_ptr<const GradientMaps> gradient_maps;
};

// Everything but `events`, `ms_per_step` and the memory the host process uses, which the worker adds
// (they depend on its clock and event log). Reads the chain's per-sample statistics to the host (a
// device sync on a GPU). A composition that does not compile gives a snapshot without term names.
std::shared_ptr<Snapshot> build_snapshot(ShardedSampler& sampler, const SnapshotInputs& in);

}  // namespace ebm
