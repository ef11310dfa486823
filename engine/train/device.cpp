#include "engine/train/device.h"

#include "engine/gpu/device_check.h"
#include "engine/dist/launcher.h"

#include <stdexcept>

namespace ebm::train {

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

torch::Device process_device(const std::string& name, bool in_group) {
  return resolve_device(dist::rank_device_name(name, in_group));
}

}  // namespace ebm::train
