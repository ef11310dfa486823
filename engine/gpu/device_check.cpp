#include "engine/gpu/device_check.h"

#include <algorithm>
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

std::vector<torch::Device> consecutive_devices(const torch::Device& first, int n) {
  std::vector<torch::Device> out;
  const int base = first.has_index() ? first.index() : 0;
  for (int k = 0; k < n; ++k)
    out.push_back(first.is_cuda() ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(base + k)) : first);
  return out;
}

void require_gpu_split(const torch::Device& first, int n, const std::string& flag) {
  if (n <= 1) return;
  if (!first.is_cuda()) throw std::invalid_argument(flag + " needs a CUDA device (--device cuda)");
  for (const auto& d : consecutive_devices(first, n)) require_available(d, flag + ":");
}

torch::Device resolve_device(const std::string& name) {
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  torch::Device d(torch::kCPU);
  try {
    d = torch::Device(name);
  } catch (const std::exception&) {
    throw std::invalid_argument("--device must be auto, cpu, cuda or cuda:N (got '" + name + "')");
  }
  if (d.is_cuda()) {
    require_available(d, "--device");
    if (!d.has_index()) d = torch::Device(torch::kCUDA, 0);
  } else if (!d.is_cpu()) {
    throw std::invalid_argument("--device must be cpu or cuda (got '" + name + "')");
  }
  return d;
}

std::vector<std::string> device_choices() {
  std::vector<std::string> out{"cpu"};
  const int n = torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
  for (int i = 0; i < n; ++i) out.push_back("cuda:" + std::to_string(i));
  return out;
}

int gpus_from(const torch::Device& first) {
  if (!first.is_cuda() || !torch::cuda::is_available()) return 0;
  return std::max(0, static_cast<int>(torch::cuda::device_count()) - (first.has_index() ? first.index() : 0));
}

}  // namespace ebm
