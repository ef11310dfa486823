// Collective: this process's place in a group of cooperating processes (data-parallel training and
// sampling), on PyTorch's own distributed engine (c10d): a TCPStore rendezvous at the master's
// address, then a Gloo process group for CPU tensors or an NCCL one for CUDA tensors. Every call is a
// collective: all ranks must make it, in the same order, with tensors of the same shapes.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace ebm::dist {

struct GroupOptions {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // How long a rank waits for the others (rendezvous and every collective) before it fails with an
  // error instead of hanging: a peer that died or never started.
  std::chrono::seconds timeout{300};
};

// Reads EBM_DIST_RANK / EBM_DIST_WORLD_SIZE / EBM_DIST_MASTER_ADDR / EBM_DIST_MASTER_PORT (set by
// the launcher, launcher.h). Returns nullopt-like world_size 1 when EBM_DIST_WORLD_SIZE is unset.
// Throws std::invalid_argument naming a malformed variable.
GroupOptions group_options_from_env();

class Collective {
 public:
  virtual ~Collective() = default;
  // Joins the group: Gloo when `device` is the CPU, NCCL when it is CUDA (and this build has NCCL;
  // otherwise Gloo, which also reduces CUDA tensors through host memory). Blocks until every rank
  // has joined or the timeout passes (std::runtime_error naming the master address).
  static std::unique_ptr<Collective> join(const GroupOptions& opt, const torch::Device& device);

  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual std::string backend() const = 0;  // "gloo" | "nccl"

  // In place: every tensor becomes the mean of its values over the ranks. One flat bucket per call
  // (one collective for a whole model's gradients); tensors must share dtype and device.
  virtual void average(std::vector<torch::Tensor>& tensors) = 0;
  // Rows of every rank's `part` concatenated in rank order (parts must have equal shapes).
  virtual torch::Tensor gather_rows(const torch::Tensor& part) = 0;
  // (No broadcast: every rank builds identical weights from the seed, the model file or the
  // checkpoint, and the averaged gradients keep them identical.)
};

}  // namespace ebm::dist
