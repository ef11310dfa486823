// Whether a parsed device can be used in this process, with the reason when not: a CUDA device on a
// CPU-only LibTorch or a machine without a GPU, or an index past the last GPU. Checked where a chain or
// a training run starts, so the user reads what to change instead of a dispatcher error.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace ebm {

// Throws std::invalid_argument: "<what> cuda:1: only 1 GPU(s) here; …". `what` names the setting
// ("--device", "the chain's device").
void require_available(const torch::Device& device, const std::string& what);

// The `n` devices a batch split over n devices from `first` on runs on: cuda:i … cuda:i+n−1 ("cuda"
// counts from cuda:0); the CPU n times (its shares take turns).
std::vector<torch::Device> consecutive_devices(const torch::Device& first, int n);

// For a command-line split over `n` GPUs from `first` on (`flag`, e.g. "--gpus 2"): more than one
// needs a CUDA device, and every one of them must be here. Throws std::invalid_argument saying which.
void require_gpu_split(const torch::Device& first, int n, const std::string& flag);

// How many GPUs there are from `first` on (0 for the CPU): what a split starting there can use.
int gpus_from(const torch::Device& first);

// A device from a command-line name: "auto" (the first GPU when CUDA is available, else the CPU),
// "cpu", "cuda" (cuda:0), "cuda:N". Throws std::invalid_argument with what to do when the name or
// the device is unusable.
torch::Device resolve_device(const std::string& name);

// The devices a chain can run on here, as names: "cpu", then "cuda:0" … (a front end lists them
// without asking Torch itself).
std::vector<std::string> device_choices();

}  // namespace ebm
