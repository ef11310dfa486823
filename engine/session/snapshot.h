// Snapshot: an immutable picture of a session, published by the worker every k steps or T ms and
// on every state change. Readers get it as shared_ptr<const Snapshot> and may keep it as long as
// they like: its tensors are never written again (the sampler makes new tensors every step).
#pragma once

#include "engine/energy/node.h"
#include "engine/sampling/gradient_maps.h"
#include "engine/sampling/sampler_params.h"

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ebm {

enum class SessionStatus {
  Idle,       // no chain yet
  Running,
  Paused,     // by Pause, after Step N, or after Rewind
  Finished,   // reached the run's step count
  Cancelled,  // stopped by Cancel; the last images stay visible, Resume continues
  Error,      // the last edit or step failed (see events); fix it and Resume, or Restart
};
std::string to_string(SessionStatus s);

struct Event {
  // BatchReduced: the worker halved the batch after running out of device memory; the snapshot's
  // `params` carry the new batch (a UI adopts it, or its next edit would ask for the old one again).
  enum class Kind { Info, Warning, Error, NanReset, Exported, BatchReduced };
  std::uint64_t seq = 0;    // increases by one per event of the session: show those newer than you saw
  Kind kind = Kind::Info;
  std::int64_t step = 0;    // chain step when it happened
  std::string message;
};
std::string to_string(Event::Kind k);

// Per-step scalars over the whole run (batch means), for energy curves. Columns have equal length;
// a term absent or disabled at a step has NaN there. Rewind truncates the curves to the kept step.
struct Curves {
  std::vector<std::int64_t> steps;
  std::vector<float> energy;     // mean total energy
  std::vector<float> grad_norm;  // mean gradient norm
  std::vector<float> acceptance;  // mean MALA/HMC acceptance (NaN for steps that had no accept test)
  std::vector<std::pair<std::string, std::vector<float>>> terms;  // mean raw energy per term
};

struct MemoryUse {
  std::int64_t chain_bytes = 0;    // the current chain state
  std::int64_t history_bytes = 0;  // kept states
  std::int64_t device_bytes = -1;  // CUDA memory allocated by Torch on the chain's device (-1: n/a)
  std::int64_t host_rss_bytes = -1;
};

struct Snapshot {
  std::uint64_t seq = 0;       // publication counter
  SessionStatus status = SessionStatus::Idle;
  std::uint64_t chain_id = 0;  // increases on every start/restart (a new chain)
  std::int64_t step = 0;       // steps taken by the chain
  std::int64_t total_steps = 0;

  SamplerParams params;        // as applied now (seed/batch/init of the running chain)
  Node composition;
  bool has_composition = false;
  std::vector<std::string> models;  // loaded model names

  torch::Tensor images;        // [B,C,H,W] float in [0,1], on the models' device (undefined: no chain)
  bool images_denoised = false;  // images are the last step's clean-image estimate, not the chain
  std::vector<std::int64_t> sample_ids;
  std::vector<float> energy;   // [B] total energy at the last step
  std::vector<std::string> term_names;
  std::vector<std::vector<float>> term_energy;  // [T][B] raw energy per term (NaN: inactive)
  std::vector<float> grad_norm;                 // [B]
  std::vector<std::int64_t> resets;             // [B] NaN/Inf re-initialisations so far
  std::vector<std::pair<std::string, torch::Tensor>> masks;  // comb_mask terms: softmax over K, [B,K,H,W]

  double ms_per_step = 0.0;
  std::string step_path;       // how the sampler ran its last step: "eager" or "cuda graph" (Sampler)
  std::int64_t compilations = 0;  // compositions compiled so far by all shards (value edits compile none)
  int devices = 1;             // devices the running chain is split over (images gathered on the first)
  MemoryUse memory;
  std::vector<std::int64_t> kept_steps;  // steps Rewind can go back to
  std::vector<Event> events;             // the most recent events, oldest first
  std::shared_ptr<const Curves> curves;
  std::shared_ptr<const GradientMaps> gradient_maps;  // of the inspected sample (null: none inspected;
                                                      // sampling/gradient_maps.h)

  // Host copy of the images as uint8 RGBA, [B,H,W,4] row-major (made on request; may sync the GPU).
  torch::Tensor host_rgba8() const;
};

}  // namespace ebm
