// Parity fixtures (tests/fixtures/parity, written by tools/make_parity_fixtures.py from the PyTorch
// reference port): loading, building the C++ model of a case, running it, comparing. Shared by the
// CPU parity suite and the CUDA one.
#pragma once

#include "models/config.h"
#include "models/network.h"

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ebm::test {

using TensorMap = std::map<std::string, torch::Tensor>;

struct ParityCase {
  std::string name, weights, kind, mode;  // kind: energy | generate | predict; mode: eval | train | cached
  ModelConfig config;
  TensorMap tensors;                      // every tensor entry of the case file
};

std::string parity_dir();
std::vector<std::string> list_parity_cases();  // names without "case_" / ".pt", sorted
// Reads a torch.save'd dict; string values go to `strings` when given.
TensorMap load_pickled_dict(const std::string& path, std::map<std::string, std::string>* strings = nullptr);
ParityCase load_parity_case(const std::string& name);

// make_network(config) with the case's weight set loaded (every parameter and buffer must be in it)
// and, for augment_vis cases, the fixture's transform draw forced. Moved to `device`.
std::shared_ptr<NetworkImpl> build_parity_model(const ParityCase& c, torch::Device device);

// Runs the case on `model` (already on `device`) and returns the tensors the fixture expects, under
// the fixture's keys ("energy", "grad_x", "grad_mask", "out", "grad_z", "logit", "pos", "u_after.*"),
// on the CPU.
TensorMap run_parity_case(const ParityCase& c, NetworkImpl& model, torch::Device device);

// max |a - b| / max |b| (0 when both are zero): the relative error the parity suites bound.
double max_rel_error(const torch::Tensor& got, const torch::Tensor& expected);

// The expected entries of a case (everything run_parity_case produces).
std::vector<std::string> expected_keys(const ParityCase& c);

}  // namespace ebm::test
