// Whether a parsed device can be used in this process, with the reason when not: a CUDA device on a
// CPU-only LibTorch or a machine without a GPU, or an index past the last GPU. Checked where a chain or
// a training run starts, so the user reads what to change instead of a dispatcher error.
#pragma once

#include <torch/torch.h>

#include <string>

namespace ebm {

// Throws std::invalid_argument: "<what> cuda:1: only 1 GPU(s) here; …". `what` names the setting
// ("--device", "the chain's device").
void require_available(const torch::Device& device, const std::string& what);

}  // namespace ebm
