#include "engine/train/device.h"

#include "engine/gpu/device_check.h"
#include "engine/dist/launcher.h"

#include <stdexcept>

namespace ebm::train {

torch::Device process_device(const std::string& name, bool in_group) {
  return resolve_device(dist::rank_device_name(name, in_group));
}

}  // namespace ebm::train
