// The bundle reader on the TensorFlow-written fixture and on bundles made by the test writer.
#include "models/checkpoint/crc32c.h"
#include "models/checkpoint/tf_bundle.h"
#include "tests/tf/bundle_writer.h"
#include "tests/tf/tf_test_util.h"

#include <gtest/gtest.h>
#include <snappy.h>
#include <torch/torch.h>

#include <map>
#include <set>

namespace ebm::tftest {

namespace {
const std::string kFixturePrefix = fixture_dir() + "/variables";
}

TEST(TfFixture, ReadsTheTensorFlowWrittenBundleExactly) {
  const tf::BundleReader r(kFixturePrefix);
  EXPECT_EQ(r.header().num_shards, 1);
  EXPECT_EQ(r.header().endianness, 0);
  const std::vector<std::pair<std::string, float>> expected = {
      {"a", 0.5f}, {"a2", 0.5f}, {"b", 2.0f}, {"c", 3.0f}, {"c2", 3.0f}};
  ASSERT_EQ(r.entries().size(), expected.size());
  EXPECT_EQ(r.tensor_names(), (std::vector<std::string>{"a", "a2", "b", "c", "c2"}));
  for (const auto& [name, value] : expected) {
    const tf::BundleEntry* e = r.find(name);
    ASSERT_NE(e, nullptr) << name;
    EXPECT_EQ(e->dtype, static_cast<int>(tf::DataType::Float));
    EXPECT_TRUE(e->shape.empty());
    const torch::Tensor t = r.read(name);
    EXPECT_EQ(t.scalar_type(), torch::kFloat);
    EXPECT_EQ(t.dim(), 0);
    EXPECT_EQ(t.item<float>(), value) << name;  // exact: the bytes are copied, not converted
  }
  EXPECT_EQ(r.find("d"), nullptr);
}

TEST(TfFixture, IndexDataBlockIsSnappyCompressed) {
  // The first data block starts at offset 0; find its end as the first n where a block trailer
  // (type byte + masked CRC32C over block+type) is valid, and check that type is snappy (1).
  const std::string idx = ebm::test::file_bytes(kFixturePrefix + ".index");
  bool found = false;
  for (size_t n = 1; n + 5 <= idx.size(); ++n) {
    uint32_t stored = 0;
    for (int i = 0; i < 4; ++i) stored |= static_cast<uint32_t>(static_cast<unsigned char>(idx[n + 1 + i])) << (8 * i);
    if (crc32c::unmask(stored) != crc32c::value(idx.data(), n + 1)) continue;
    EXPECT_EQ(idx[n], 1) << "block type";
    EXPECT_TRUE(snappy::IsValidCompressedBuffer(idx.data(), n));
    found = true;
    break;
  }
  EXPECT_TRUE(found);
}

TEST(TfFixture, AcceptsEveryWayOfNamingTheCheckpoint) {
  EXPECT_EQ(tf::resolve_checkpoint_prefix(kFixturePrefix), kFixturePrefix);
  EXPECT_EQ(tf::resolve_checkpoint_prefix(kFixturePrefix + ".index"), kFixturePrefix);
  EXPECT_EQ(tf::resolve_checkpoint_prefix(kFixturePrefix + ".data-00000-of-00001"), kFixturePrefix);
  EXPECT_EQ(tf::resolve_checkpoint_prefix(fixture_dir()), kFixturePrefix);  // one .index in the dir
  EXPECT_TRUE(tf::looks_like_tf_checkpoint(fixture_dir()));
  EXPECT_FALSE(tf::looks_like_tf_checkpoint(fixture_dir() + "/NOTICE"));
  EXPECT_FALSE(tf::looks_like_tf_checkpoint(""));
  expect_bundle_error([] { tf::resolve_checkpoint_prefix(kFixturePrefix + "_30000"); },
                      {kFixturePrefix + "_30000.index", "does not exist"});
}

TEST(TfPrefix, FollowsTheCheckpointStateFile) {
  TempDir dir;
  BundleWriter w(dir / "model_30000");
  w.add("x", torch::ones({2}));
  w.finish();
  BundleWriter w2(dir / "model_29000");
  w2.add("x", torch::zeros({2}));
  w2.finish();
  // Relative path as TF 2 writes it.
  spit(dir / "checkpoint", "model_checkpoint_path: \"model_30000\"\nall_model_checkpoint_paths: \"model_29000\"\n"
                           "all_model_checkpoint_paths: \"model_30000\"\n");
  EXPECT_EQ(tf::resolve_checkpoint_prefix(dir.path().string()), dir / "model_30000");
  EXPECT_TRUE(torch::equal(tf::BundleReader(dir.path().string()).read("x"), torch::ones({2})));
  // Absolute path of the training machine: the same file name in this directory is used.
  spit(dir / "checkpoint", "model_checkpoint_path: \"/home/someone/cachedir/exp/model_29000\"\n");
  EXPECT_EQ(tf::resolve_checkpoint_prefix(dir.path().string()), dir / "model_29000");
  spit(dir / "checkpoint", "model_checkpoint_path: \"model_1\"\n");
  expect_bundle_error([&] { tf::resolve_checkpoint_prefix(dir.path().string()); }, {"checkpoint", "model_1"});
  spit(dir / "checkpoint", "nothing useful\n");
  expect_bundle_error([&] { tf::resolve_checkpoint_prefix(dir.path().string()); },
                      {"no model_checkpoint_path"});
  fs::remove(dir / "checkpoint");
  expect_bundle_error([&] { tf::resolve_checkpoint_prefix(dir.path().string()); }, {"2 .index files"});
}

TEST(TfWriterBundle, EveryDtypeRoundTripsBitExactly) {
  TempDir dir;
  torch::manual_seed(1);
  const std::vector<std::pair<std::string, torch::Tensor>> tensors = {
      {"f32", torch::randn({3, 4, 5})},
      {"f16", torch::randn({7}).to(torch::kHalf)},
      {"bf16", torch::randn({2, 9}).to(torch::kBFloat16)},
      {"f64", torch::randn({4}, torch::kDouble)},
      {"i32", torch::randint(-100000, 100000, {6, 2}, torch::kInt)},
      {"i64", torch::tensor({int64_t{1} << 40, int64_t{-7}, int64_t{0}})},
      {"i16", torch::randint(-300, 300, {5}, torch::kShort)},
      {"i8", torch::randint(-100, 100, {5}, torch::kChar)},
      {"u8", torch::randint(0, 255, {5}, torch::kByte)},
      {"bool", torch::tensor({true, false, true, true})},
      {"scalar", torch::tensor(3.25f)},
      {"empty", torch::zeros({0, 3})},
  };
  BundleWriter w(dir / "model", {});
  for (const auto& [n, t] : tensors) w.add(n, t);
  w.finish();
  const tf::BundleReader r(dir / "model");
  for (const auto& [n, t] : tensors) {
    const torch::Tensor got = r.read(n);
    EXPECT_EQ(got.scalar_type(), t.scalar_type()) << n;
    EXPECT_EQ(got.sizes(), t.sizes()) << n;
    EXPECT_TRUE(torch::equal(got, t)) << n;
  }
  EXPECT_EQ(tf::dtype_name(r.find("bf16")->dtype), "bfloat16");
  EXPECT_EQ(tf::dtype_name(r.find("f16")->dtype), "float16");
}

TEST(TfWriterBundle, ManyBlocksAndShards) {
  for (bool snappy : {true, false}) {
    TempDir dir;
    WriterOptions opt;
    opt.num_shards = 4;
    opt.block_size = 128;  // ~2 entries per block: hundreds of blocks
    opt.snappy = snappy;
    BundleWriter w(dir / "model", opt);
    std::map<std::string, torch::Tensor> want;
    for (int i = 0; i < 400; ++i) {
      const std::string name = "context_0/layer_" + std::to_string(i) + "/cweight";
      want[name] = torch::full({i % 5 + 1, 3}, static_cast<float>(i));
      w.add(name, want[name]);
    }
    w.finish();
    const tf::BundleReader r(dir / "model");
    EXPECT_EQ(r.header().num_shards, 4);
    ASSERT_EQ(r.entries().size(), want.size());
    std::set<int> shards;
    for (const auto& e : r.entries()) shards.insert(e.shard_id);
    EXPECT_EQ(shards.size(), 4u);
    for (const auto& [n, t] : want) EXPECT_TRUE(torch::equal(r.read(n), t)) << n;
    EXPECT_TRUE(fs::exists(dir / "model.data-00003-of-00004"));
  }
}

TEST(TfWriterBundle, SkipsStringsObjectGraphAndSlicesWithAReason) {
  TempDir dir;
  BundleWriter w(dir / "model");
  w.add("w", torch::ones({2, 2}));
  tf::BundleEntry obj;
  obj.name = tf::kObjectGraphKey;
  obj.dtype = static_cast<int>(tf::DataType::String);
  w.add_raw(obj, std::string("\x05\x00\x00\x00\x00hello", 10));
  tf::BundleEntry str;
  str.name = "names";
  str.dtype = static_cast<int>(tf::DataType::String);
  str.shape = {1};
  w.add_raw(str, "abc");
  tf::BundleEntry sliced;
  sliced.name = "part";
  sliced.dtype = static_cast<int>(tf::DataType::Float);
  sliced.shape = {10, 4};
  sliced.num_slices = 2;
  w.add_raw(sliced, "");
  tf::BundleEntry u32;
  u32.name = "u32";
  u32.dtype = static_cast<int>(tf::DataType::UInt32);
  u32.shape = {1};
  w.add_raw(u32, "abcd");
  w.finish();
  const tf::BundleReader r(dir / "model");
  EXPECT_EQ(r.tensor_names(), std::vector<std::string>{"w"});
  EXPECT_NE(tf::BundleReader::skip_reason(*r.find(tf::kObjectGraphKey)).find("object graph"), std::string::npos);
  EXPECT_EQ(tf::BundleReader::skip_reason(*r.find("names")), "string tensor");
  EXPECT_NE(tf::BundleReader::skip_reason(*r.find("part")).find("partitioned"), std::string::npos);
  EXPECT_NE(tf::BundleReader::skip_reason(*r.find("u32")).find("uint32"), std::string::npos);
  expect_bundle_error([&] { r.read("part"); }, {"'part'", "partitioned variable", "re-save it unpartitioned"});
  expect_bundle_error([&] { r.read("nope"); }, {"model.index", "no variable 'nope'", "ebm inspect"});
}

}  // namespace ebm::tftest
