// Shared by the TF load/convert tests: the reference port's parity weights written as an original
// TF checkpoint, and the comparison of a loaded network with the reference and the module-name load.
#pragma once

#include "models/checkpoint/name_map.h"
#include "tests/models/parity_util.h"
#include "tests/tf/bundle_writer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace ebm::tftest {

// The reference's float32 math vs ours: the same bound as the model parity suite on the CPU.
inline constexpr double kParityTolerance = 1e-5;

// Writes `weights` (module names, as the reference state_dict) as the original's checkpoint would
// hold them: every variable of `net`'s TF map under `scope`, plus Adam slots and global counters.
inline void write_tf_checkpoint(const std::string& prefix, const NetworkImpl& net, const test::TensorMap& weights,
                                const std::string& scope, const std::vector<std::string>& leave_out = {}) {
  WriterOptions opt;
  opt.num_shards = 2;
  opt.block_size = 512;
  BundleWriter w(prefix, opt);
  const NameMap map = name_map_for(net, scope);
  for (const NameMapEntry& e : map.entries()) {
    if (std::find(leave_out.begin(), leave_out.end(), e.tf) != leave_out.end()) continue;
    const torch::Tensor t = module_to_tf_layout(weights.at(e.module).to(torch::kFloat), e.layout, e.module);
    w.add(e.tf, t);
    if (e.module.size() > 2 && e.module.compare(e.module.size() - 2, 2, ".u") == 0) continue;  // not trainable
    w.add(e.tf + "/Adam", torch::randn_like(t) * 1e-3);
    w.add(e.tf + "/Adam_1", torch::rand_like(t) * 1e-6);
  }
  w.add("beta1_power", torch::tensor(0.0f));
  w.add("beta2_power", torch::tensor(0.99f));
  w.add("global_step", torch::tensor(int64_t{30000}));
  w.finish();
}

struct Built {
  test::ParityCase pc;
  test::TensorMap weights;
  std::shared_ptr<NetworkImpl> by_module;  // the same weights loaded by module name
};

inline Built build_case(const std::string& name) {
  Built b;
  b.pc = test::load_parity_case(name);
  b.weights = test::load_pickled_dict(test::parity_dir() + "/w_" + b.pc.weights + ".pt");
  b.by_module = test::build_parity_model(b.pc, torch::kCPU);
  return b;
}

inline void expect_same_outputs(const test::ParityCase& pc, NetworkImpl& tf_net, NetworkImpl& module_net) {
  const test::TensorMap got = test::run_parity_case(pc, tf_net, torch::kCPU);
  const test::TensorMap ref = test::run_parity_case(pc, module_net, torch::kCPU);
  for (const auto& k : test::expected_keys(pc)) {
    ASSERT_TRUE(got.count(k)) << k;
    EXPECT_LE(test::max_rel_error(got.at(k), pc.tensors.at(k)), kParityTolerance) << pc.name << ": " << k;
    EXPECT_TRUE(torch::equal(got.at(k), ref.at(k))) << pc.name << ": " << k << " differs from the module-name load";
  }
}

}  // namespace ebm::tftest
