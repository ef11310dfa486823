#include "app/cli/dist_flags.h"

#include "app/cli/commands.h"
#include "engine/dist/launcher.h"

#include <iostream>

namespace ebm::cli {

void add_dist_flags(CLI::App* sub, DistFlags& f) {
  sub->add_option("--gpus", f.gpus,
                  "data-parallel processes on this host, one per GPU (cuda:0..N-1); with --device cpu, CPU processes")
      ->capture_default_str();
  sub->add_option("--nnodes", f.nnodes, "hosts taking part (run the same command on each)")->capture_default_str();
  sub->add_option("--node-rank", f.node_rank, "this host's index among --nnodes")->capture_default_str();
  sub->add_option("--master-addr", f.master_addr, "address of host 0, where the group meets")->capture_default_str();
  sub->add_option("--master-port", f.master_port, "TCP port on host 0 (0: any free port; one host only)")
      ->capture_default_str();
}

std::optional<int> launch_workers_if_asked(const DistFlags& f, const std::string& command) {
  if (dist::is_worker() || (f.gpus == 1 && f.nnodes == 1)) return std::nullopt;
  dist::LaunchPlan plan;
  plan.procs_per_node = f.gpus;
  plan.nnodes = f.nnodes;
  plan.node_rank = f.node_rank;
  plan.master_addr = f.master_addr;
  plan.master_port = f.master_port;
  plan.validate();  // std::invalid_argument: the caller reports a usage error
  std::string failure;
  const int code = dist::run_workers(plan, command_line(), &failure);
  if (code != 0) std::cerr << command << ": " << failure << "; the other workers were stopped\n";
  return code;
}

std::unique_ptr<dist::Collective> join_group_if_worker(const torch::Device& device) {
  if (!dist::is_worker()) return nullptr;
  return dist::Collective::join(dist::group_options_from_env(), device);
}

}  // namespace ebm::cli
