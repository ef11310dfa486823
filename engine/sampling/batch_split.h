// How a batch of chains is split over N devices or processes: shares of ⌈batch/N⌉ consecutive
// samples (the last one shorter). `ebm sample --gpus N` (one process per GPU) and the sharded
// sampler of the studio's worker (several GPUs in one process) split the same way, and both evaluate
// energies in chunks of one share, so their images equal a one-device run at that micro_batch.
#pragma once

#include <cstdint>
#include <string>

namespace ebm {

struct BatchShare {
  std::int64_t first = 0;  // index of the share's first sample within the batch
  std::int64_t count = 0;  // samples in the share
};

// ⌈batch/parts⌉: the size of every share but the last.
std::int64_t share_size(std::int64_t batch, int parts);
// Share `k` (0 … parts−1) of the batch.
BatchShare batch_share(std::int64_t batch, int parts, int k);
// Throws std::invalid_argument, in terms of `flag` (e.g. "--gpus 3"), when some share would be empty
// (batch < parts, or a batch that leaves the last part nothing, such as 5 over 4).
void check_batch_split(std::int64_t batch, int parts, const std::string& flag);

}  // namespace ebm
