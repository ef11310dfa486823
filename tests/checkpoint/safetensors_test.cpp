#include "models/checkpoint/atomic_file.h"
#include "models/checkpoint/safetensors.h"
#include "tests/checkpoint/test_util.h"

#include <cstring>
#include <limits>
#include <random>

using namespace ebm;
using ebm::test::TempDir;

namespace {

// A file from a header text and a data section, exactly as the format lays them out.
std::string make_file(const std::string& header, const std::string& data, std::uint64_t len_override = 0) {
  const std::uint64_t n = len_override ? len_override : header.size();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

bool same_bytes(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  auto ca = a.contiguous(), cb = b.contiguous();
  // An empty tensor has no storage (data_ptr() is null) and memcmp(nullptr, …, 0) is undefined (UBSan).
  const auto n = static_cast<std::size_t>(ca.numel()) * ca.element_size();
  return n == 0 || std::memcmp(ca.data_ptr(), cb.data_ptr(), n) == 0;
}

// Every supported dtype, with the awkward values (NaN payloads, infinities, -0, extremes).
TensorMap all_dtypes() {
  torch::manual_seed(7);
  TensorMap m;
  auto f = torch::randn({3, 5});
  f[0][0] = std::numeric_limits<float>::quiet_NaN();
  f[0][1] = -std::numeric_limits<float>::infinity();
  f[0][2] = -0.0f;
  f[0][3] = std::numeric_limits<float>::denorm_min();
  m["f32"] = f;
  m["f64"] = torch::randn({2, 3, 4}, torch::kFloat64);
  m["f16"] = torch::randn({7}).to(torch::kFloat16);
  m["bf16"] = torch::randn({4, 4}).to(torch::kBFloat16);
  m["i64"] = torch::tensor({std::numeric_limits<std::int64_t>::min(), std::int64_t{0}, std::numeric_limits<std::int64_t>::max()});
  m["i32"] = torch::randint(-1000000, 1000000, {6}, torch::kInt32);
  m["i16"] = torch::randint(-30000, 30000, {6}, torch::kInt16);
  m["i8"] = torch::randint(-128, 127, {2, 2}, torch::kInt8);
  m["u8"] = torch::randint(0, 256, {3, 4, 4}, torch::kUInt8);
  m["bool"] = torch::randint(0, 2, {9}).to(torch::kBool);
  m["scalar"] = torch::tensor(3.5f).reshape({});
  m["empty"] = torch::empty({0, 4});
  m["conv"] = torch::randn({8, 3, 3, 3}).permute({2, 3, 1, 0});  // non-contiguous input
  return m;
}

// Expects parsing `bytes` (written to a file) to fail with a message naming the file and `needle`.
void expect_invalid(const std::string& bytes, const std::string& needle, bool header_problem = true) {
  TempDir d;
  const auto p = d.file("bad.safetensors");
  ebm::test::write_raw(p, bytes);
  try {
    read_safetensors(p);
    ADD_FAILURE() << "expected SafetensorsError containing '" << needle << "'";
  } catch (const SafetensorsError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(p), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  }
  // The header-only reader must agree (it cannot see problems inside the data).
  if (header_problem) {
    EXPECT_THROW(read_safetensors_header(p), SafetensorsError);
  }
  EXPECT_THROW(parse_safetensors(bytes, "mem"), SafetensorsError);
}

}  // namespace

TEST(Safetensors, RoundTripEveryDtypeBitExact) {
  TempDir d;
  const auto p = d.file("all.safetensors");
  const TensorMap in = all_dtypes();
  const Metadata meta{{"ebm.format_version", "1"}, {"note", "ünïcödé \"quoted\"\n"}};
  write_safetensors(p, in, meta);
  const SafetensorsFile out = read_safetensors(p);
  EXPECT_EQ(out.metadata, meta);
  ASSERT_EQ(out.tensors.size(), in.size());
  for (const auto& [name, t] : in) {
    ASSERT_TRUE(out.tensors.count(name)) << name;
    EXPECT_TRUE(same_bytes(t, out.tensors.at(name))) << name;
  }
  // Writing what we read gives the same bytes again.
  EXPECT_EQ(serialize_safetensors(out.tensors, out.metadata), ebm::test::file_bytes(p));
  EXPECT_EQ(ebm::test::file_bytes(p), serialize_safetensors(in, meta));
}

TEST(Safetensors, HeaderIsPaddedAndListsDtypes) {
  const std::string bytes = serialize_safetensors(all_dtypes());
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ((8 + n) % 8, 0u);
  TempDir d;
  ebm::test::write_raw(d.file("x.safetensors"), bytes);
  const auto h = read_safetensors_header(d.file("x.safetensors"));
  EXPECT_EQ(h.data_start, 8 + n);
  std::map<std::string, std::string> dt;
  for (const auto& t : h.tensors) dt[t.name] = t.dtype;
  EXPECT_EQ(dt["f32"], "F32");
  EXPECT_EQ(dt["f16"], "F16");
  EXPECT_EQ(dt["bf16"], "BF16");
  EXPECT_EQ(dt["f64"], "F64");
  EXPECT_EQ(dt["i32"], "I32");
  EXPECT_EQ(dt["i64"], "I64");
  EXPECT_EQ(dt["u8"], "U8");
  EXPECT_EQ(dt["i8"], "I8");
  EXPECT_EQ(dt["bool"], "BOOL");
  EXPECT_TRUE(looks_like_safetensors(d.file("x.safetensors")));
}

TEST(Safetensors, ReadsHandWrittenFile) {
  // The example of the format's README, byte for byte: I32 [2,2] plus metadata, unpadded header.
  const std::string header =
      R"({"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"foo":"bar"}})";
  std::string data(16, '\0');
  const std::int32_t vals[4] = {1, -2, 3, 0x7fffffff};
  std::memcpy(data.data(), vals, 16);
  const auto f = parse_safetensors(make_file(header, data), "readme");
  EXPECT_EQ(f.metadata.at("foo"), "bar");
  const auto& t = f.tensors.at("test");
  EXPECT_EQ(t.sizes(), (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(t[1][1].item<std::int32_t>(), 0x7fffffff);
  EXPECT_EQ(t[0][1].item<std::int32_t>(), -2);
}

TEST(Safetensors, EmptyFileOfTensorsIsValid) {
  const auto f = parse_safetensors(serialize_safetensors({}, {{"k", "v"}}), "empty");
  EXPECT_TRUE(f.tensors.empty());
  EXPECT_EQ(f.metadata.at("k"), "v");
}

TEST(Safetensors, CorruptFilesGiveClearErrors) {
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string eight(8, '\0');
  expect_invalid("", "too short");
  expect_invalid("abc", "too short");
  expect_invalid(make_file(ok, eight, std::uint64_t{1} << 62), "exceeds");
  expect_invalid(make_file(ok, eight, 5000), "runs past the end of the file");
  expect_invalid(make_file(ok, "").substr(0, 20), "runs past the end of the file");  // truncated header
  expect_invalid(make_file(ok, eight.substr(0, 4)), "run past the end of the data section");  // truncated data
  expect_invalid(make_file(R"({"a":{"dtype":"F32",)", eight), "not valid JSON");
  expect_invalid(make_file("[1,2,3]", ""), "must be a JSON object");
  expect_invalid(make_file(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", eight), "missing \"dtype\"");
  expect_invalid(make_file(R"({"a":{"dtype":"F8","shape":[2],"data_offsets":[0,8]}})", eight), "unsupported dtype 'F8'");
  expect_invalid(make_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight), "non-negative");
  expect_invalid(make_file(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", eight), "non-negative");
  expect_invalid(make_file(R"({"a":{"dtype":"F32","shape":[1125899906842624],"data_offsets":[0,8]}})", eight), "absurd");
  expect_invalid(make_file(R"({"a":{"dtype":"F32","shape":[1099511627776,1099511627776,1099511627776],"data_offsets":[0,8]}})", eight),
                 "overflows");
  expect_invalid(make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight), "needs 12 bytes");
  expect_invalid(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,80]}})", eight), "run past the end");
  expect_invalid(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", eight), "begin after end");
  expect_invalid(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", eight), "[begin, end]");
  expect_invalid(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                           std::string(12, '\0')),
                 "overlaps");
  expect_invalid(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight), "gap of 4 bytes");
  expect_invalid(make_file(ok, std::string(12, '\0')), "trailing data");
  expect_invalid(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight),
                 "appears twice");
  expect_invalid(make_file(R"({"__metadata__":{"k":1}})", ""), "must be a string");
  expect_invalid(make_file(R"({"__metadata__":[1]})", ""), "__metadata__ must be an object");
  expect_invalid(make_file(R"({"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", std::string(1, '\0')), "empty name");
  expect_invalid(make_file(R"({"a":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", std::string("\x01\x07", 2)), "byte value 7", false);
  expect_invalid(make_file(R"({"a":"F32"})", ""), "must be an object");
}

TEST(Safetensors, RandomCorruptionNeverCrashes) {
  // Flip bytes all over a valid file: every outcome is either a valid parse or a SafetensorsError.
  const std::string good = serialize_safetensors(all_dtypes(), {{"k", "v"}});
  std::mt19937 rng(123);
  int errors = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < flips; ++k) bad[rng() % std::min<std::size_t>(bad.size(), 2048)] = static_cast<char>(rng());
    if (rng() % 4 == 0) bad.resize(rng() % bad.size());
    try {
      parse_safetensors(bad, "fuzz");
    } catch (const SafetensorsError&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 1000);
}

TEST(Safetensors, WriteRejectsBadInputBeforeTouchingTheFile) {
  TempDir d;
  const auto p = d.file("m.safetensors");
  write_safetensors(p, {{"a", torch::ones({2})}});
  const std::string before = ebm::test::file_bytes(p);
  EXPECT_THROW(write_safetensors(p, {{"a", torch::ones({2})}, {"c", torch::ones({2}, torch::kComplexFloat)}}), SafetensorsError);
  EXPECT_THROW(write_safetensors(p, {{"", torch::ones({2})}}), SafetensorsError);
  EXPECT_THROW(write_safetensors(p, {{"__metadata__", torch::ones({2})}}), SafetensorsError);
  EXPECT_THROW(write_safetensors(p, {{"u", torch::Tensor()}}), SafetensorsError);
  EXPECT_EQ(ebm::test::file_bytes(p), before);
  EXPECT_EQ(ebm::test::count_entries(d.path()), 1);
}

TEST(Safetensors, MissingFileAndDirectoryAreFileErrors) {
  EXPECT_THROW(read_safetensors("/nonexistent-ebm/x.safetensors"), FileError);
  TempDir d;
  EXPECT_THROW(read_safetensors(d.path().string()), FileError);
  EXPECT_FALSE(looks_like_safetensors("/nonexistent-ebm/x.safetensors"));
}
