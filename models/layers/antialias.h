// The original's filters.py binomial blur kernels and CubesNet's antialias downsampling (spec §2.10).
#pragma once

#include <torch/torch.h>

namespace ebm {

// outer([1,2,1])/16 (size 3, filters.stride_3) or outer([1,4,6,4,1])/256 (size 5, filters.stride_5).
torch::Tensor binomial_kernel(int size, torch::TensorOptions opts = {});

// CubesNet's antialias: the kernel tiled over ALL (in, out) channel pairs, so every output channel is
// the blurred SUM of all input channels (not a depthwise blur), stride 2, TF 'SAME' padding
// (0 before / 1 after for even sizes). 64×64 → 32×32. `size` 3 is what CubesNet uses.
torch::Tensor antialias_downsample(const torch::Tensor& x, int size = 3);

}  // namespace ebm
