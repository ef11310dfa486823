// Gradient checkpointing of one block (issue #24, `--checkpoint-activations`): the forward runs
// without keeping its activations, and the backward runs the block again to get them — memory for
// compute. LibTorch's C++ API has no torch.utils.checkpoint, so this is a custom autograd function.
//
// The block must compute the same thing twice, so the recompute replays what its first run changed
// or drew: `state` tensors (the spectral norm's power-iteration vectors `u`, advanced once per
// evaluation in training mode) are set back to their values before the first run and restored after,
// and the default random generator of the input's device is rewound (ResNet128's always-on dropout).
//
// Second-order gradients work: the backward differentiates the recomputed block with create_graph
// when the caller asked for it (denoising score matching differentiates the input gradient w.r.t.
// the weights), so the gradients it returns are themselves differentiable w.r.t. the block's input
// and weights. Not for CUDA graph capture (the generator is read on the host).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <vector>

namespace ebm {

using BlockFn = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& label)>;

// fn(x, label) with its activations recomputed in the backward. `params`: every trainable tensor
// fn reads (their gradients flow through the checkpoint); `state`: tensors fn updates in place.
// `label` may be undefined. Without grad mode (or when nothing requires grad) it is fn(x, label).
torch::Tensor checkpointed(const BlockFn& fn, const torch::Tensor& x, const torch::Tensor& label,
                           const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& state);

}  // namespace ebm
