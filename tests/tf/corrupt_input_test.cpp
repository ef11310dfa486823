// Damaged checkpoints must fail with a TfBundleError that names the file and the problem — never
// crash, never allocate from an unchecked size.
#include "models/checkpoint/crc32c.h"
#include "models/checkpoint/tf_bundle.h"
#include "tests/tf/bundle_writer.h"
#include "tests/tf/tf_test_util.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>

namespace ebm::tftest {

namespace {

// A small valid bundle: two shards, uncompressed index blocks (so byte positions are predictable).
std::string make_bundle(const TempDir& dir, int num_shards = 2, size_t block_size = 4096) {
  WriterOptions opt;
  opt.num_shards = num_shards;
  opt.snappy = false;
  opt.block_size = block_size;
  BundleWriter w(dir / "model", opt);
  for (int i = 0; i < 8; ++i) w.add("v" + std::to_string(i), torch::arange(10 + i, torch::kFloat));
  w.finish();
  return dir / "model";
}

struct Handle {
  uint64_t offset = 0, size = 0;
};

uint64_t get_varint(const std::string& s, size_t& pos) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    const auto b = static_cast<unsigned char>(s.at(pos++));
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}
void put_varint(std::string& out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out += static_cast<char>((v & 0x7f) | 0x80);
  out += static_cast<char>(v);
}

// LevelDB footer: metaindex handle, index handle (varints), zero padding to 40 bytes, 8-byte magic.
constexpr size_t kFooterSize = 48;
std::pair<Handle, Handle> read_footer(const std::string& idx) {
  size_t pos = idx.size() - kFooterSize;
  Handle meta{get_varint(idx, pos), get_varint(idx, pos)};
  Handle index{get_varint(idx, pos), get_varint(idx, pos)};
  return {meta, index};
}
std::string with_footer(const std::string& idx, Handle meta, Handle index) {
  std::string f;
  put_varint(f, meta.offset);
  put_varint(f, meta.size);
  put_varint(f, index.offset);
  put_varint(f, index.size);
  f.resize(kFooterSize - 8, '\0');
  f += idx.substr(idx.size() - 8);
  return idx.substr(0, idx.size() - kFooterSize) + f;
}

void flip(const std::string& path, size_t pos) {
  std::string s = ebm::test::file_bytes(path);
  s.at(pos) = static_cast<char>(s.at(pos) ^ 0x5a);
  spit(path, s);
}

}  // namespace

TEST(TfCorrupt, BadMagic) {
  TempDir dir;
  const std::string p = make_bundle(dir);
  flip(p + ".index", ebm::test::file_bytes(p + ".index").size() - 1);
  expect_bundle_error([&] { tf::BundleReader r(p); }, {p + ".index", "bad magic", "not a V2 checkpoint"});
}

TEST(TfCorrupt, TruncatedFooter) {
  TempDir dir;
  const std::string p = make_bundle(dir);
  const std::string idx = ebm::test::file_bytes(p + ".index");
  spit(p + ".index", idx.substr(0, 30));
  expect_bundle_error([&] { tf::BundleReader r(p); }, {p + ".index", "too short"});
  spit(p + ".index", idx.substr(0, idx.size() - 3));
  expect_bundle_error([&] { tf::BundleReader r(p); }, {p + ".index", "magic"});
  spit(p + ".index", "");
  expect_bundle_error([&] { tf::BundleReader r(p); }, {p + ".index", "too short"});
}

TEST(TfCorrupt, TruncatedBlock) {
  TempDir dir;
  const std::string p = make_bundle(dir);
  const std::string idx = ebm::test::file_bytes(p + ".index");
  auto [meta, index] = read_footer(idx);
  spit(p + ".index", with_footer(idx, meta, {index.offset, index.size + 1000}));  // block runs past the end
  expect_bundle_error([&] { tf::BundleReader r(p); }, {p + ".index", "truncated block"});
  // The file cut inside its last data block, footer re-attached: handles no longer line up.
  const std::string cut = idx.substr(0, index.offset / 2) + idx.substr(idx.size() - kFooterSize);
  spit(p + ".index", cut);
  expect_bundle_error([&] { tf::BundleReader r(p); }, {p + ".index"});
}

// Handles whose sizes would make LevelDB allocate or wrap (it trusts them): rejected before it reads.
TEST(TfCorrupt, AbsurdBlockHandles) {
  TempDir dir;
  const std::string p = make_bundle(dir);
  const std::string idx = ebm::test::file_bytes(p + ".index");
  auto [meta, index] = read_footer(idx);
  for (uint64_t size : {~uint64_t{0} - 2, uint64_t{1} << 62, uint64_t{1} << 40}) {
    spit(p + ".index", with_footer(idx, meta, {index.offset, size}));
    expect_bundle_error([&] { tf::BundleReader r(p); }, {p + ".index", "outside the file"});
    spit(p + ".index", with_footer(idx, {~uint64_t{0}, size}, index));
    expect_bundle_error([&] { tf::BundleReader r(p); }, {p + ".index", "outside the file"});
  }
  // A hand-made table whose index block is valid (CRC and all) but points at a huge data block.
  std::string block;
  block += '\0';  // shared
  block += '\1';  // unshared
  std::string handle;
  put_varint(handle, 0);
  put_varint(handle, uint64_t{1} << 62);
  block += static_cast<char>(handle.size());
  block += 'a';
  block += handle;
  block += std::string("\0\0\0\0\1\0\0\0", 8);  // restart offset 0, one restart
  std::string table = block + '\0';  // no compression
  const uint32_t crc = crc32c::mask(crc32c::value(table.data(), table.size()));
  for (int i = 0; i < 4; ++i) table += static_cast<char>((crc >> (8 * i)) & 0xff);
  std::string footer = idx.substr(idx.size() - kFooterSize);
  spit(p + ".index", with_footer(table + footer, {0, 0}, {0, block.size()}));
  expect_bundle_error([&] { tf::BundleReader r(p); }, {p + ".index", "data block", "outside the file"});
}

TEST(TfCorrupt, IndexBlockCrcMismatch) {
  TempDir dir;
  const std::string p = make_bundle(dir);
  const auto [meta, index] = read_footer(ebm::test::file_bytes(p + ".index"));
  flip(p + ".index", index.offset + 1);
  expect_bundle_error([&] { tf::BundleReader r(p); }, {p + ".index", "checksum mismatch"});
}

TEST(TfCorrupt, DataBlockCrcMismatch) {
  TempDir dir;
  const std::string p = make_bundle(dir);
  flip(p + ".index", 12);  // inside the first data block (the header entry)
  expect_bundle_error([&] { tf::BundleReader r(p); }, {p + ".index", "checksum mismatch", "while reading its entries"});
}

TEST(TfCorrupt, TensorCrcMismatch) {
  TempDir dir;
  const std::string p = make_bundle(dir);
  const tf::BundleReader r(p);
  const tf::BundleEntry& e = *r.find("v3");
  const std::string shard = tf::shard_path(p, e.shard_id, 2);
  flip(shard, e.offset + 5);
  expect_bundle_error([&] { r.read("v3"); }, {shard, "'v3'", "CRC32C"});
  EXPECT_NO_THROW(r.read(e.shard_id == 0 ? "v1" : "v0"));  // other tensors of the shard still load
}

TEST(TfCorrupt, ShardMissing) {
  TempDir dir;
  const std::string p = make_bundle(dir);
  fs::remove(p + ".data-00001-of-00002");
  const tf::BundleReader r(p);  // the index alone still lists the variables
  EXPECT_EQ(r.entries().size(), 8u);
  std::string on_shard1;
  for (const auto& e : r.entries())
    if (e.shard_id == 1) on_shard1 = e.name;
  ASSERT_FALSE(on_shard1.empty());
  expect_bundle_error([&] { r.read(on_shard1); }, {p + ".data-00001-of-00002", "missing", ".data-* file"});
}

TEST(TfCorrupt, OffsetPastTheEnd) {
  TempDir dir;
  const std::string p = make_bundle(dir, 1);
  const std::string shard = p + ".data-00000-of-00001";
  spit(shard, ebm::test::file_bytes(shard).substr(0, 20));
  const tf::BundleReader r(p);
  expect_bundle_error([&] { r.read("v7"); }, {shard, "'v7'", "needs bytes", "truncated"});

  TempDir dir2;
  BundleWriter w(dir2 / "m");
  tf::BundleEntry e;
  e.name = "far";
  e.dtype = static_cast<int>(tf::DataType::Float);
  e.shape = {4};
  e.offset = int64_t{1} << 50;
  e.size = 16;
  w.add_raw(e, std::string(16, '\0'), /*keep_layout=*/true);
  w.finish();
  expect_bundle_error([&] { tf::BundleReader(dir2 / "m").read("far"); }, {"m.data-00000-of-00001", "needs bytes"});
}

TEST(TfCorrupt, AbsurdShapesAndSizes) {
  struct Case {
    std::vector<int64_t> shape;
    int64_t size;
    int shard;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{3, -1}, 12, 0, "dimension 1 is negative"},
      {{int64_t{1} << 31, int64_t{1} << 31, 4}, 16, 0, "2^40"},
      {{int64_t{1} << 62, int64_t{1} << 62}, 16, 0, "2^40"},
      {{4, 4}, 16, 0, "does not match 16 float32 elements"},
      {{4}, -16, 0, "negative byte size"},
      {{4}, 16, 7, "shard id 7"},
      {{4}, 16, -1, "shard id -1"},
  };
  for (const auto& c : cases) {
    TempDir dir;
    BundleWriter w(dir / "m");
    tf::BundleEntry e;
    e.name = "bad";
    e.dtype = static_cast<int>(tf::DataType::Float);
    e.shape = c.shape;
    e.size = c.size;
    e.shard_id = c.shard;
    w.add_raw(e, std::string(16, '\0'), /*keep_layout=*/true);
    w.finish();
    expect_bundle_error([&] { tf::BundleReader r(dir / "m"); }, {dir / "m.index", "'bad'", c.needle, "corrupt"});
  }
}

TEST(TfCorrupt, BadHeaders) {
  struct Case {
    WriterOptions opt;
    std::string needle;
  };
  std::vector<Case> cases(5);
  cases[0].opt.endianness = 1;
  cases[0].needle = "big-endian";
  cases[1].opt.header_num_shards = 0;
  cases[1].needle = "0 data shards";
  cases[2].opt.header_num_shards = 1000000000;
  cases[2].needle = "1000000000 data shards";
  cases[3].opt.min_consumer = 5;
  cases[3].needle = "version >= 5";
  cases[4].opt.write_header = false;
  cases[4].needle = "no bundle header";
  for (const auto& c : cases) {
    TempDir dir;
    BundleWriter w(dir / "m", c.opt);
    w.add("x", torch::ones({2}), 0);
    w.finish();
    expect_bundle_error([&] { tf::BundleReader r(dir / "m"); }, {dir / "m.index", c.needle});
  }
}

TEST(TfCorrupt, GarbageEntryValue) {
  TempDir dir;
  BundleWriter w(dir / "m");
  w.add("a", torch::ones({2}));
  w.add_raw_value("b", std::string("\x12\xff\xff\xff\x7f", 5));
  w.finish();
  expect_bundle_error([&] { tf::BundleReader r(dir / "m"); }, {dir / "m.index", "'b'", "not a valid protobuf"});
}

TEST(TfCorrupt, NotAnIndexAtAll) {
  TempDir dir;
  spit(dir / "m.index", std::string(4096, 'x'));
  expect_bundle_error([&] { tf::BundleReader r(dir / "m"); }, {dir / "m.index", "magic"});
  fs::remove(dir / "m.index");
  fs::create_directory(dir / "m.index");
  expect_bundle_error([&] { tf::BundleReader r(dir / "m"); }, {dir / "m.index", "cannot be read"});
}

// Random byte flips and truncations of a multi-block index: every outcome is a clean open or a
// TfBundleError — never a crash, never another exception type.
TEST(TfCorrupt, RandomDamageNeverCrashes) {
  TempDir dir;
  const std::string p = make_bundle(dir, 2, /*block_size=*/64);
  const std::string good = ebm::test::file_bytes(p + ".index");
  std::mt19937 rng(7);
  int errors = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = good;
    if (trial % 3 == 0) {
      bad.resize(rng() % good.size());
    } else {
      for (int k = 0; k < 1 + trial % 4; ++k) bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    spit(p + ".index", bad);
    try {
      tf::BundleReader r(p);
      for (const auto& n : r.tensor_names()) (void)r.read(n);
    } catch (const tf::TfBundleError& e) {
      ++errors;
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(errors, 250);  // CRCs catch nearly every change
}

}  // namespace ebm::tftest
