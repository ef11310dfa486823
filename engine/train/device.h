// The training device from a command-line name: "auto" (CUDA when available), "cpu", "cuda",
// "cuda:N". Throws std::invalid_argument with what to do when the name or the device is unusable.
#pragma once

#include <torch/torch.h>

#include <string>

namespace ebm::train {

torch::Device resolve_device(const std::string& name);

}  // namespace ebm::train
