// Commands a Session accepts (Session::submit). Plain values: the submitting thread builds one and
// hands it over; the worker applies it between two Langevin steps, in submission order. Parameter
// edits (SetComposition, SetSampler, SetOptions) and InspectSample are latest-wins: a newer one
// replaces an older one of the same kind still waiting in the queue, unless a control command (Start,
// Step, …) or a value edit (EditValues) is queued between them — an edit queued before a Start
// applies to that Start. Value edits are never dropped: each changes one value, in order.
#pragma once

#include "engine/energy/energy_model.h"
#include "engine/energy/node.h"
#include "engine/energy/value_edit.h"
#include "engine/export/grid.h"
#include "engine/sampling/sampler_params.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ebm {

struct SessionOptions {
  // Publishing copies per-sample statistics to the host, which synchronises a GPU: by default it
  // happens by time (~30 Hz), not every step.
  std::int64_t publish_every_steps = 0;  // publish a snapshot every k steps (0: only by time)
  double publish_every_ms = 33.0;        // ... or when T ms passed since the last one (0: only by steps)
  std::int64_t history_bytes = std::int64_t{256} << 20;  // bound of the kept-states ring
  std::int64_t history_every = 1;        // keep every n-th step
  bool repeat = false;                   // after a run ends start the next one with seed + 1
  int max_events = 64;                   // events carried by each snapshot
  // While the chain runs, the inspected sample's gradient maps (cmd::InspectSample) are recomputed at
  // most this often (one forward+backward per term; 0: at every publish). Paused, a change shows at once.
  double gradient_maps_every_ms = 200.0;
  // GPU: steps the worker may have queued beyond those the GPU finished (gpu/run_ahead.h). More keeps
  // the GPU no busier; it makes previews and edits wait behind the queue. 0: no bound.
  int max_steps_ahead = 2;
  // On a denoising ladder, previews show each step's estimate of the clean image (StepStats::denoised)
  // instead of the noisy chain: shapes show from the first steps. Exports and history keep the chain.
  bool preview_denoised = true;
};

// What cmd::Export writes. Every PNG carries the recipe of the chain as it is now (models, tree,
// params, seed, batch, and `steps` set to the current step for a constant schedule).
struct ExportRequest {
  enum class Kind {
    Grid,      // one PNG grid of the current images at `path`
    Samples,   // one PNG per sample: <path stem>_<sample id>.png
    Sequence,  // one grid per kept history step: <path stem>_<step>.png
    Recipe,    // the recipe alone, as JSON at `path`
  };
  Kind kind = Kind::Grid;
  std::string path;
  GridOptions grid;
};

namespace cmd {
struct SetComposition { Node root; };
// Value edits of the composition set last (value_edit.h) — a slider tick, a brush stroke: written in
// place on every shard, nothing compiled (an edit the compiled tree cannot take recompiles at the next
// step, as SetComposition would). Errors (a bad path or value) arrive as events; the tree stays.
struct EditValues { std::vector<ValueEdit> edits; };
// Langevin fields apply next step; seed/batch/init/device at restart. Params the submitter checked
// (CheckedSamplerParams) are taken as they are; plain ones are checked by the worker.
struct SetSampler {
  SetSampler(SamplerParams p) : params(std::move(p)) {}
  SetSampler(CheckedSamplerParams p) : checked(std::move(p)) {}
  SamplerParams params;
  std::optional<CheckedSamplerParams> checked;
};
struct SetOptions { SessionOptions options; };
struct Start {};                     // a new chain from the current params (restarts a running one)
struct Pause {};
struct Resume {};                    // continues a paused, cancelled, errored or rewound chain
struct Step { std::int64_t n = 1; }; // runs n steps, then pauses (starts a chain when there is none)
struct Cancel {};                    // stops now (after the step in flight); the images stay
struct Finish {};                    // turns `repeat` off: the current run ends at its step count
struct Restart { std::optional<std::uint64_t> seed; };  // a new chain; with a seed, that seed
struct Rewind { std::int64_t step = 0; };               // back to a kept step, paused
struct LoadModel { std::string name; std::string path; };  // from a model file (models/checkpoint)
// An in-memory model. `path` (optional) is the file it came from and `sha256` that file's hash as the
// loader computed it (LoadedEnergyModel::sha256: the file is read and hashed once, off the sampling
// thread), both recorded in exported recipes; without a path, recipes name it "memory:<name>" and
// cannot be replayed by `ebm sample`.
struct AddModel {
  AddModel(std::string n, std::shared_ptr<EnergyModel> m, std::string p = {}, std::string sha = {})
      : name(std::move(n)), model(std::move(m)), path(std::move(p)), sha256(std::move(sha)) {}
  std::string name;
  std::shared_ptr<EnergyModel> model;
  std::string path;
  std::string sha256;
};
struct UnloadModel { std::string name; };
struct Export { ExportRequest request; };  // result: an `exported` or `error` event
// Per-term gradient maps of sample `index` (its batch position) in the snapshots from now on, kept up
// to date as the chain moves (Snapshot::gradient_maps); -1 stops them.
struct InspectSample { std::int64_t index = -1; };
}  // namespace cmd

using Command = std::variant<cmd::SetComposition, cmd::EditValues, cmd::SetSampler, cmd::SetOptions, cmd::Start, cmd::Pause,
                             cmd::Resume, cmd::Step, cmd::Cancel, cmd::Finish, cmd::Restart, cmd::Rewind,
                             cmd::LoadModel, cmd::AddModel, cmd::UnloadModel, cmd::Export, cmd::InspectSample>;

// True for the commands the queue coalesces (latest wins).
inline bool is_latest_wins(const Command& c) {
  return std::holds_alternative<cmd::SetComposition>(c) || std::holds_alternative<cmd::SetSampler>(c) ||
         std::holds_alternative<cmd::SetOptions>(c) || std::holds_alternative<cmd::InspectSample>(c);
}

}  // namespace ebm
