#include "engine/device_check.h"

#include <stdexcept>

namespace ebm {

void require_available(const torch::Device& device, const std::string& what) {
  if (!device.is_cuda()) return;
  if (!torch::cuda::is_available())
    throw std::invalid_argument(what + " " + device.str() +
                                ": CUDA is not available here (CPU-only LibTorch or no GPU); use the cpu device");
  const auto n = static_cast<int>(torch::cuda::device_count());
  if (device.has_index() && device.index() >= n)
    throw std::invalid_argument(what + " " + device.str() + ": only " + std::to_string(n) +
                                " GPU(s) here (cuda:0 … cuda:" + std::to_string(n - 1) + ")");
}

}  // namespace ebm
