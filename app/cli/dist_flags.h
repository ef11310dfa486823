// The flags of data-parallel commands (`ebm train --gpus N`, `ebm sample --gpus N`) and what they do:
// the command as typed starts N copies of itself (dist/launcher.h) and waits; each copy finds itself
// a worker and joins the group (dist/collective.h) before doing its share.
#pragma once

#include "engine/dist/collective.h"

#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>

namespace ebm::cli {

struct DistFlags {
  int gpus = 1;  // processes on this host, one per GPU (with --device cpu: CPU processes, for tests)
  int nnodes = 1;
  int node_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  // 0: a free port (one host)
};

void add_dist_flags(CLI::App* sub, DistFlags& f);

// Not a worker and more than one process asked for: starts this host's workers with the same
// command line, waits, and returns their exit code (their failure is printed, prefixed with
// `command`). Otherwise nullopt: the caller runs here, alone or as a worker.
std::optional<int> launch_workers_if_asked(const DistFlags& f, const std::string& command);

// Inside a worker: joins the group on `device` ("cuda" becomes cuda:<local rank>); null outside.
std::unique_ptr<dist::Collective> join_group_if_worker(const torch::Device& device);

}  // namespace ebm::cli
