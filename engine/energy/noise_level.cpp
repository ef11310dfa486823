#include "engine/energy/noise_level.h"

#include <stdexcept>
#include <string>

namespace ebm {

void require_noise_level(double sigma) {
  if (!(sigma > 0))
    throw std::invalid_argument("a denoising model needs the schedule's noise level sigma > 0 (got " + std::to_string(sigma) +
                                "): sample it with an annealed schedule");
}

}  // namespace ebm
