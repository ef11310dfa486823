// The device of one process of a training run, from a command-line name (resolve_device,
// engine/gpu/device_check.h).
#pragma once

#include "engine/gpu/device_check.h"

#include <torch/torch.h>

#include <string>

namespace ebm::train {

// The device of one process of a training run: resolve_device, except that a process of a
// data-parallel group given "auto" or "cuda" (no index) takes cuda:<its local rank> (launcher.h).
torch::Device process_device(const std::string& name, bool in_group);

}  // namespace ebm::train
