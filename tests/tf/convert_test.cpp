// `ebm convert`'s core: an original-layout checkpoint becomes a self-describing model file that
// loads without flags and scores exactly like the checkpoint loaded directly.
#include "models/checkpoint/tf_convert.h"
#include "tests/tf/tf_model_util.h"
#include "tests/tf/tf_test_util.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ebm::tftest {

TEST(TfConvert, ConvertedFileIsSelfDescribingAndScoresTheSame) {
  Built b = build_case("cubes_base");
  TempDir dir;
  write_tf_checkpoint(dir / "model_30000", *b.by_module, b.weights, "context_0");
  const std::string out = dir / "cubes_pos.safetensors";
  const TfImportReport rep = convert_tf_checkpoint(dir / "model_30000.index", b.pc.config, out);
  EXPECT_EQ(rep.scope, "context_0");

  LoadedModel lm = load_model(out);  // no config given: the file carries it
  EXPECT_EQ(lm.network->config().arch, Arch::CubesNet);
  EXPECT_EQ(lm.network->config().label_size, b.pc.config.label_size);
  EXPECT_EQ(lm.report.metadata.at(kMetaTfSource), "model_30000");
  const auto skipped = nlohmann::json::parse(lm.report.metadata.at(kMetaTfSkipped));
  EXPECT_EQ(skipped.at("beta1_power"), "optimizer state (Adam beta power)");
  EXPECT_EQ(skipped.at("context_0/fc5/wweight/Adam"), "optimizer state (Adam slot)");
  expect_same_outputs(b.pc, *lm.network, *b.by_module);

  // The TF-named variant of the file round-trips as well.
  SaveModelOptions tf_names;
  tf_names.names = NameStyle::Tf;
  convert_tf_checkpoint(dir / "model_30000", b.pc.config, dir / "tf_named.safetensors", "", tf_names);
  LoadedModel lm2 = load_model(dir / "tf_named.safetensors");
  expect_same_outputs(b.pc, *lm2.network, *b.by_module);
}

TEST(TfConvert, DamagedShardWritesNothing) {
  Built b = build_case("cubes_base");
  TempDir dir;
  write_tf_checkpoint(dir / "m", *b.by_module, b.weights, "context_0");
  // Damage a model weight (Adam slots are never read, so damage there would go unnoticed, as in TF).
  const tf::BundleEntry e = *tf::BundleReader(dir / "m").find("context_0/res_2_res_c1/cweight");
  const std::string shard = tf::shard_path(dir / "m", e.shard_id, 2);
  std::string bytes = ebm::test::file_bytes(shard);
  bytes[e.offset + e.size / 2] ^= 0x10;
  spit(shard, bytes);
  expect_bundle_error([&] { convert_tf_checkpoint(dir / "m", b.pc.config, dir / "out.safetensors"); }, {shard, "CRC32C"});
  EXPECT_FALSE(fs::exists(dir / "out.safetensors"));
}

}  // namespace ebm::tftest
