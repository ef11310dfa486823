// The training device from a command-line name: "auto" (CUDA when available), "cpu", "cuda",
// "cuda:N". Throws std::invalid_argument with what to do when the name or the device is unusable.
#pragma once

#include <torch/torch.h>

#include <string>

namespace ebm::train {

torch::Device resolve_device(const std::string& name);

// The device of one process of a training run: resolve_device, except that a process of a
// data-parallel group given "auto" or "cuda" (no index) takes cuda:<its local rank> (launcher.h).
torch::Device process_device(const std::string& name, bool in_group);

}  // namespace ebm::train
