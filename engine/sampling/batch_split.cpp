#include "engine/sampling/batch_split.h"

#include <algorithm>
#include <stdexcept>

namespace ebm {

std::int64_t share_size(std::int64_t batch, int parts) {
  if (parts < 1) throw std::invalid_argument("a batch is split over at least 1 part (got " + std::to_string(parts) + ")");
  return (batch + parts - 1) / parts;
}

BatchShare batch_share(std::int64_t batch, int parts, int k) {
  const std::int64_t share = share_size(batch, parts);
  BatchShare s;
  s.first = std::min<std::int64_t>(batch, k * share);
  s.count = std::min<std::int64_t>(batch, s.first + share) - s.first;
  return s;
}

void check_batch_split(std::int64_t batch, int parts, const std::string& flag) {
  if (batch < parts)
    throw std::invalid_argument(flag + " needs a batch of at least " + std::to_string(parts) + " (the batch is " +
                                std::to_string(batch) + ")");
  for (int k = 0; k < parts; ++k)
    if (batch_share(batch, parts, k).count < 1)
      throw std::invalid_argument(flag + ": a batch of " + std::to_string(batch) + " leaves part " + std::to_string(k) +
                                  " without samples (shares of " + std::to_string(share_size(batch, parts)) +
                                  "); use a batch that is a multiple of " + std::to_string(parts));
}

}  // namespace ebm
