#include "engine/dist/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/cuda.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace ebm::dist {

namespace {

std::atomic<int> g_forward_signal{0};

void remember_signal(int sig) { g_forward_signal.store(sig); }

// Installs the forwarding handlers for the launcher's lifetime and restores the old ones after.
struct SignalForwarding {
  struct sigaction old_int {}, old_term {};
  SignalForwarding() {
    g_forward_signal.store(0);
    struct sigaction sa {};
    sa.sa_handler = remember_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
  }
  ~SignalForwarding() {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
  }
};

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

void LaunchPlan::validate() const {
  if (procs_per_node < 1 || procs_per_node > 64) throw std::invalid_argument("--gpus must be in [1, 64]");
  if (nnodes < 1 || nnodes > 1024) throw std::invalid_argument("--nnodes must be in [1, 1024]");
  if (node_rank < 0 || node_rank >= nnodes)
    throw std::invalid_argument("--node-rank " + std::to_string(node_rank) + " must be in [0, --nnodes - 1]");
  if (master_port < 0 || master_port > 65535) throw std::invalid_argument("--master-port must be in [1, 65535]");
  if (nnodes > 1 && master_port == 0)
    throw std::invalid_argument("with --nnodes > 1 give every host the same --master-addr and --master-port");
  if (master_addr.empty()) throw std::invalid_argument("--master-addr is empty");
}

bool is_worker() {
  const char* w = std::getenv("EBM_DIST_WORLD_SIZE");
  return w != nullptr && *w != '\0';
}

int local_rank() {
  const char* v = std::getenv("EBM_DIST_LOCAL_RANK");
  return v != nullptr && *v != '\0' ? std::atoi(v) : 0;
}

std::string rank_device_name(const std::string& name, bool in_group) {
  if (!in_group) return name;
  if (name == "cuda" || (name == "auto" && torch::cuda::is_available())) return "cuda:" + std::to_string(local_rank());
  return name;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("cannot open a socket to find a free port: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot find a free TCP port; pass --master-port");
  return ntohs(a.sin_port);
}

int run_workers(const LaunchPlan& plan, const std::vector<std::string>& argv, std::string* failure, double grace_s) {
  plan.validate();
  const int port = plan.master_port != 0 ? plan.master_port : free_port();
  SignalForwarding forwarding;
  std::vector<pid_t> pids(static_cast<size_t>(plan.procs_per_node), -1);
  std::vector<bool> done(pids.size(), false);
  for (int local = 0; local < plan.procs_per_node; ++local) {
    const int rank = plan.node_rank * plan.procs_per_node + local;
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("cannot start worker process: ") + std::strerror(errno));
    if (pid == 0) {
      // A process group of its own: a terminal's Ctrl-C reaches the launcher only, which forwards
      // it once (a second Ctrl-C, forwarded again, aborts the workers as it would one process).
      ::setpgid(0, 0);
      ::setenv("EBM_DIST_RANK", std::to_string(rank).c_str(), 1);
      ::setenv("EBM_DIST_LOCAL_RANK", std::to_string(local).c_str(), 1);
      ::setenv("EBM_DIST_WORLD_SIZE", std::to_string(plan.world_size()).c_str(), 1);
      ::setenv("EBM_DIST_MASTER_ADDR", plan.master_addr.c_str(), 1);
      ::setenv("EBM_DIST_MASTER_PORT", std::to_string(port).c_str(), 1);
      // Each worker's CPU thread pool gets its share of the cores (as torchrun does): N processes of
      // one pool the size of the machine each would fight over every core for their CPU work (CD's
      // replay draws, data batches). A value the user set is kept.
      if (!::getenv("OMP_NUM_THREADS")) {
        const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
        ::setenv("OMP_NUM_THREADS", std::to_string(std::max(1u, cores / static_cast<unsigned>(plan.procs_per_node))).c_str(), 1);
      }
      std::vector<char*> args;
      for (const auto& s : argv) args.push_back(const_cast<char*>(s.c_str()));
      args.push_back(nullptr);
      ::execv("/proc/self/exe", args.data());
      std::fprintf(stderr, "ebm: cannot start worker %d: %s\n", rank, std::strerror(errno));
      ::_exit(127);
    }
    pids[static_cast<size_t>(local)] = pid;
  }

  int first_code = 0;
  bool terminating = false;
  auto terminate_start = std::chrono::steady_clock::now();
  size_t remaining = pids.size();
  while (remaining > 0) {
    if (int sig = g_forward_signal.exchange(0); sig != 0)
      for (size_t i = 0; i < pids.size(); ++i)
        if (!done[i]) ::kill(pids[i], sig);
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (size_t i = 0; i < pids.size(); ++i) {
        if (pids[i] != pid) continue;
        done[i] = true;
        --remaining;
        if (exit_code_of(status) != 0 && first_code == 0) {
          first_code = exit_code_of(status);
          if (failure)
            *failure = "worker rank " + std::to_string(plan.node_rank * plan.procs_per_node + static_cast<int>(i)) +
                       " failed (" + describe_status(status) + ")";
          // The others would wait for it at their next collective until the timeout: stop them now.
          terminating = true;
          terminate_start = std::chrono::steady_clock::now();
          for (size_t j = 0; j < pids.size(); ++j)
            if (!done[j]) ::kill(pids[j], SIGTERM);
        }
      }
      continue;
    }
    if (terminating &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - terminate_start).count() > grace_s)
      for (size_t j = 0; j < pids.size(); ++j)
        if (!done[j]) ::kill(pids[j], SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return first_code;
}

}  // namespace ebm::dist
