// The engine's loader (what the studio and `ebm sample` call) on original TensorFlow checkpoints:
// a prefix, its .index file or its directory opens as a CubesNet whose label size is read from the
// checkpoint, scores exactly like the same weights loaded directly, and is named by a content hash
// over all of the bundle's files. A checkpoint that is not a default CubesNet fails with the way out.
#include "engine/energy/model_loader.h"
#include "engine/energy/network_model.h"
#include "models/checkpoint/model_file.h"
#include "models/registry.h"
#include "tests/tf/tf_model_util.h"
#include "tests/tf/tf_test_util.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace ebm::tftest {
namespace {

std::shared_ptr<NetworkImpl> cubesnet(int label_size, int num_filters, uint64_t seed) {
  torch::manual_seed(seed);
  ModelConfig c = ModelConfig::defaults_for(Arch::CubesNet);
  c.label_size = label_size;
  c.num_filters = num_filters;
  return make_network(c);
}

torch::Tensor energies(EnergyModel& m, const torch::Tensor& x, const torch::Tensor& label) {
  m.begin_chain();
  torch::NoGradGuard no_grad;
  torch::Tensor e = m.energy(x, label, {}, 0.0).reshape({-1});
  m.end_chain();
  return e;
}

TEST(TfEnergyLoader, OpensAPrefixItsIndexAndItsDirectoryAsTheSameModel) {
  auto net = cubesnet(2, 64, 3);
  TempDir dir;
  write_tf_checkpoint(dir / "model_30000", *net, module_state(*net), "context_0");
  spit(dir / "checkpoint", "model_checkpoint_path: \"model_30000\"\n");

  torch::manual_seed(9);
  const torch::Tensor x = torch::rand({2, 3, 64, 64});
  const torch::Tensor label = torch::tensor({{0.3f, -0.2f}, {-0.7f, 0.5f}});
  NetworkModel direct(net);
  const torch::Tensor want = energies(direct, x, label);

  std::string hash;
  for (const std::string& p : {dir / "model_30000", dir / "model_30000.index", dir.path().string()}) {
    SCOPED_TRACE(p);
    LoadedEnergyModel m = load_energy_model(p);
    EXPECT_EQ(m.model->info().label_size, 2);
    EXPECT_NE(m.summary.find("TensorFlow checkpoint"), std::string::npos) << m.summary;
    EXPECT_TRUE(torch::equal(energies(*m.model, x, label), want));
    ASSERT_EQ(m.sha256.size(), 64u);
    if (hash.empty()) hash = m.sha256;
    EXPECT_EQ(m.sha256, hash);
  }

  // Other weights in the same place: another content hash (recipes catch the swap).
  auto other = cubesnet(2, 64, 4);
  write_tf_checkpoint(dir / "model_30000", *other, module_state(*other), "context_0");
  EXPECT_NE(load_energy_model(dir.path().string()).sha256, hash);
}

TEST(TfEnergyLoader, TheLabelSizeComesFromTheCheckpoint) {
  auto net = cubesnet(3, 64, 5);
  TempDir dir;
  write_tf_checkpoint(dir / "m", *net, module_state(*net), "context_0");
  EXPECT_EQ(load_energy_model(dir / "m").model->info().label_size, 3);
}

TEST(TfEnergyLoader, ANonDefaultCheckpointSaysHowToConvertIt) {
  auto net = cubesnet(2, 16, 6);  // not the original's 64 filters: shapes do not fit
  TempDir dir;
  write_tf_checkpoint(dir / "m", *net, module_state(*net), "context_0");
  try {
    load_energy_model(dir / "m");
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("ebm convert"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--arch"), std::string::npos) << msg;
  }
  // With the right config the same checkpoint loads.
  ModelConfig c = net->config();
  EXPECT_EQ(load_energy_model(dir / "m", c).model->info().label_size, 2);
}

}  // namespace
}  // namespace ebm::tftest
