// Full original-style checkpoints: the reference port's parity weights are written in TF layout
// (TF names, HWIO convs, u vectors, plus Adam slots and beta powers as tf.train.Saver stores them),
// then loaded/converted by ebm; the networks must score like the reference and bit-exactly like the
// same weights loaded by module name.
#include "models/checkpoint/name_map.h"
#include "models/checkpoint/tf_import.h"
#include "models/registry.h"
#include "tests/tf/tf_model_util.h"
#include "tests/tf/tf_test_util.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace ebm::tftest {


class TfLoadParity : public ::testing::TestWithParam<std::string> {};

// Every architecture: an original-layout checkpoint loads into a network that scores like the reference.
TEST_P(TfLoadParity, LoadedCheckpointScoresLikeTheReference) {
  Built b = build_case(GetParam());
  // CubesPredict's original checkpoint lives under context_3 (spec §7); the scope is detected.
  const std::string scope = b.pc.config.arch == Arch::CubesPredict ? "context_3" : "context_0";
  TempDir dir;
  write_tf_checkpoint(dir / "model_30000", *b.by_module, b.weights, scope);
  spit(dir / "checkpoint", "model_checkpoint_path: \"/train/machine/cachedir/exp/model_30000\"\n");

  LoadedTfModel m = load_tf_network(dir.path().string(), b.pc.config);
  EXPECT_EQ(m.report.scope, scope);
  EXPECT_EQ(m.report.loaded.size(), name_map_for(*m.network, scope).entries().size());
  int adam = 0, powers = 0, other = 0;
  for (const auto& [name, why] : m.report.skipped) {
    if (why == "optimizer state (Adam slot)") ++adam;
    else if (why == "optimizer state (Adam beta power)") ++powers;
    else ++other;
  }
  EXPECT_GT(adam, 0);
  EXPECT_EQ(powers, 2);
  EXPECT_EQ(other, 1);  // global_step
  expect_same_outputs(b.pc, *m.network, *b.by_module);
}

INSTANTIATE_TEST_SUITE_P(AllArchitectures, TfLoadParity,
                         ::testing::Values("cubes_base", "cubes_nospec", "cubes_size_l1", "cubes_train_u",
                                           "cubes_cached", "gen_base", "resnet_attention", "predict_base"));

TEST(TfLoad, ReadsTheLabelSizeFromTheCheckpoint) {
  Built b = build_case("cubes_base");
  TempDir dir;
  write_tf_checkpoint(dir / "m", *b.by_module, b.weights, "context_0");
  const tf::BundleReader r(dir / "m");
  EXPECT_EQ(tf_label_size(r, "context_0"), b.pc.config.label_size);
  EXPECT_EQ(tf_label_size(r, "context_9"), std::nullopt);
}

TEST(TfLoad, MisfitsNameTheProblemAndTheFlag) {
  Built b = build_case("cubes_base");
  TempDir dir;
  write_tf_checkpoint(dir / "m", *b.by_module, b.weights, "context_0");
  const std::string index = dir / "m.index";
  auto expect_import_error = [&](const ModelConfig& cfg, const std::string& scope, std::vector<std::string> needles) {
    try {
      load_tf_network(dir / "m", cfg, scope);
      ADD_FAILURE() << "expected TfImportError";
    } catch (const TfImportError& e) {
      const std::string msg = e.what();
      for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "missing '" << n << "' in: " << msg;
    }
  };
  ModelConfig wrong_label = b.pc.config;
  wrong_label.label_size = b.pc.config.label_size + 3;
  expect_import_error(wrong_label, "", {index, "wrong shape", "--label-size " + std::to_string(b.pc.config.label_size)});
  ModelConfig no_sn = b.pc.config;
  no_sn.spec_norm = false;
  expect_import_error(no_sn, "", {index, "spectral-norm", "drop --no-spec-norm"});
  ModelConfig no_cclass = b.pc.config;
  no_cclass.cclass = false;
  expect_import_error(no_cclass, "", {index, "drop --no-cclass"});
  ModelConfig filters = b.pc.config;
  filters.num_filters = b.pc.config.num_filters * 2;
  expect_import_error(filters, "", {index, "wrong shape", "--num-filters"});
  expect_import_error(b.pc.config, "context_1", {index, "no variables under scope 'context_1'", "context_0", "--scope"});
  ModelConfig gen = ModelConfig::defaults_for(Arch::CubesNetGen);
  gen.label_size = b.pc.config.label_size;
  gen.num_filters = b.pc.config.num_filters;
  expect_import_error(gen, "", {index, "does not fit a cubesnetgen", "missing"});

  // A variable left out: named, and the network stays as it was (all-or-nothing).
  TempDir dir2;
  write_tf_checkpoint(dir2 / "m", *b.by_module, b.weights, "context_0", {"context_0/res_1_res_c2/cweight"});
  auto net = make_network(b.pc.config);
  const torch::Tensor before = net->named_parameters()["layers.c1_pre.c"].clone();
  try {
    load_tf_checkpoint(*net, dir2 / "m");
    ADD_FAILURE() << "expected TfImportError";
  } catch (const TfImportError& e) {
    EXPECT_NE(std::string(e.what()).find("missing 1 variable(s): context_0/res_1_res_c2/cweight"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(torch::equal(net->named_parameters()["layers.c1_pre.c"], before));
}

TEST(TfLoad, DamagedShardFailsWithTheFileNamed) {
  Built b = build_case("cubes_base");
  TempDir dir;
  write_tf_checkpoint(dir / "m", *b.by_module, b.weights, "context_0");
  // Damage a model weight (Adam slots are never read, so damage there would go unnoticed, as in TF).
  const tf::BundleEntry e = *tf::BundleReader(dir / "m").find("context_0/res_2_res_c1/cweight");
  const std::string shard = tf::shard_path(dir / "m", e.shard_id, 2);
  std::string bytes = ebm::test::file_bytes(shard);
  bytes[e.offset + e.size / 2] ^= 0x10;
  spit(shard, bytes);
  expect_bundle_error([&] { load_tf_network(dir / "m", b.pc.config); }, {shard, "CRC32C"});
}

}  // namespace ebm::tftest
