// `ebm bench --session SECONDS`: the studio's threading without a window. A Session samples on its
// worker thread while this thread plays the studio's frame loop at 60 Hz, making a preview of every
// new snapshot (none, through host memory, or through CUDA-GL interop into a headless EGL context).
// Rows: the reader's fps, frame and preview times (median / p99) and the worker's img-steps/s. This is
// where a GUI thread waiting for the sampler's queued GPU work shows (docs/gpu.md, "The studio on the
// GPU") — measurable on a machine without a display.
#pragma once

#include "engine/session/commands.h"
#include "models/registry.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ebm::cli {

struct SessionBenchArgs {
  double seconds = 0;  // of frames per row
  std::string device = "cpu";
  int gpus = 1;  // the session's chains split over this many GPUs from `device` on (SamplerParams::devices)
  int max_steps_ahead = SessionOptions{}.max_steps_ahead;  // the worker's bound on queued GPU steps
  bool json = false;
};

// Appends one JSON row per (model, batch, terms, preview path) to `out` (and prints a table unless
// json). Throws std::invalid_argument for unusable arguments.
void run_session_rows(const SessionBenchArgs& a, const std::vector<Arch>& archs, const std::vector<std::int64_t>& batches,
                      const std::vector<std::int64_t>& terms, nlohmann::json* out);

}  // namespace ebm::cli
