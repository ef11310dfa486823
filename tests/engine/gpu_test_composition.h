// The composition the sampler's GPU tests run: two full-size CubesNet energies with fixed seeds,
// "m0" and "m1", joined by And (term a's weight and x label are the values the tests edit).
#pragma once

#include "engine/energy/composition.h"
#include "engine/energy/network_model.h"
#include "models/registry.h"

#include <torch/torch.h>

#include <cstdint>
#include <memory>

namespace ebm::test {

inline std::shared_ptr<EnergyModel> cubesnet(uint64_t seed) {
  torch::manual_seed(seed);
  return std::make_shared<NetworkModel>(make_network(ModelConfig::defaults_for(Arch::CubesNet)));
}

inline Node pair(double w, float x) {
  return Node::op(NodeKind::And, {Node::term("a", "m0", {x, 0.2f}, w), Node::term("b", "m1", {-0.4f, 0.6f})});
}

}  // namespace ebm::test
