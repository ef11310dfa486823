// Tiny model files for tests that run the real binaries: a 4-filter CubesNet samples and loads in
// milliseconds, and its seed makes the file (and so its SHA-256) the same on every run.
#pragma once

#include "models/checkpoint/model_file.h"
#include "models/registry.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace ebm::test {

inline void save_small_cubesnet(const std::string& path, int label_size, uint64_t seed) {
  torch::manual_seed(seed);
  ModelConfig c = ModelConfig::defaults_for(Arch::CubesNet);
  c.num_filters = 4;
  c.label_size = label_size;
  save_model(path, *make_network(c));
}

}  // namespace ebm::test
