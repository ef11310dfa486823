// Launcher: `ebm train --gpus N` / `ebm sample --gpus N` start N worker processes of this same
// executable with the same arguments, one per GPU (or per CPU process with --device cpu, which is
// how the tests run it), and tell each its place through the environment — as torchrun does:
//   EBM_DIST_RANK, EBM_DIST_LOCAL_RANK, EBM_DIST_WORLD_SIZE, EBM_DIST_MASTER_ADDR, EBM_DIST_MASTER_PORT
// A worker sees EBM_DIST_WORLD_SIZE and runs its share instead of launching. Several hosts: run the
// same command on each with --nnodes M --node-rank K --master-addr HOST --master-port P.
#pragma once

#include <string>
#include <vector>

namespace ebm::dist {

struct LaunchPlan {
  int procs_per_node = 1;  // --gpus
  int nnodes = 1;
  int node_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  // 0: a free port of this host (single node only)
  // Throws std::invalid_argument naming the flag that is out of range or inconsistent.
  void validate() const;
  int world_size() const { return procs_per_node * nnodes; }
};

// True inside a worker started by run_workers (EBM_DIST_WORLD_SIZE is set).
bool is_worker();
// This worker's local rank (EBM_DIST_LOCAL_RANK; 0 outside a worker): its GPU index on the host.
int local_rank();

// The device a process of a group uses for a device name without an index: inside a group
// (`in_group`), "cuda" — and "auto" where CUDA is available — become "cuda:<local rank>", one GPU
// per worker; every other name, and every name outside a group, is returned as given. The one rule
// of `ebm train` and `ebm sample` under --gpus N.
std::string rank_device_name(const std::string& name, bool in_group);

// A TCP port nobody listens on now (the kernel's pick), for a single-host rendezvous.
int free_port();

// Runs `argv` (argv[0] is ignored: this executable, /proc/self/exe, is started) as this node's
// workers and waits for them. SIGINT/SIGTERM to the launcher reach every worker (they stop at the
// same iteration and checkpoint). When a worker fails, the others get SIGTERM at once and SIGKILL
// after `grace_s` seconds; the first failure's exit code is returned with `*failure` naming the rank.
int run_workers(const LaunchPlan& plan, const std::vector<std::string>& argv, std::string* failure,
                double grace_s = 10.0);

}  // namespace ebm::dist
