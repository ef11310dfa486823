// The restricted unpickler and the .pt reader: what torch.save writes loads, anything else is a
// clear error, never a crash or code execution.
#include "models/checkpoint/atomic_file.h"
#include "models/checkpoint/pickle_reader.h"
#include "models/checkpoint/torch_pickle.h"
#include "tests/checkpoint/test_util.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/serialize.h>

#include <random>

using namespace ebm;
using ebm::test::TempDir;

namespace {

const std::string kFixtures = EBM_TEST_DATA_DIR;

torch::Tensor zeros_loader(const std::string&, torch::ScalarType dtype, std::int64_t numel) {
  // Like the real loader, refuse sizes the (here imaginary) record cannot hold.
  if (numel > (1 << 20)) throw PickleError("storage too large for its record");
  return torch::zeros({numel}, torch::TensorOptions().dtype(dtype));
}

std::string data_pkl(const std::string& pt) {
  caffe2::serialize::PyTorchStreamReader zip(pt);
  auto [ptr, n] = zip.getRecord("data.pkl");
  return std::string(static_cast<const char*>(ptr.get()), n);
}

// BINUNICODE opcode with its 4-byte little-endian length (string literals cannot hold the NULs).
std::string binunicode(const std::string& text) {
  std::string out = "X";
  for (int i = 0; i < 4; ++i) out += static_cast<char>((text.size() >> (8 * i)) & 0xff);
  return out + text;
}

std::string pickle_error(const std::string& bytes) {
  try {
    unpickle(bytes, zeros_loader);
  } catch (const PickleError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(PickleReader, ReadsOrderedDictStateDict) {
  // The file LibTorch's torch::pickle_load cannot read (OrderedDict → None).
  const TensorMap m = read_torch_state_dict(kFixtures + "/cubesnet_sd.pt");
  EXPECT_EQ(m.size(), 83u);
  EXPECT_EQ(m.at("layers.c1_pre.c").sizes(), (std::vector<int64_t>{4, 3, 3, 3}));
  EXPECT_EQ(m.at("layers.fc5.w").sizes(), (std::vector<int64_t>{16, 1}));
}

TEST(PickleReader, ReadsTrainingCheckpointContainer) {
  std::string container;
  const TensorMap m = read_torch_state_dict(kFixtures + "/cubesnet_nolayers.pt", &container);
  EXPECT_EQ(container, "state_dict");
  EXPECT_TRUE(m.count("c1_pre.c"));
}

TEST(PickleReader, FallsBackToLibTorchForCppPickles) {
  TempDir d;
  c10::Dict<std::string, torch::Tensor> dict;
  dict.insert("a", torch::arange(6).reshape({2, 3}).to(torch::kFloat32));
  dict.insert("b", torch::ones({4}, torch::kFloat64));
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  ebm::test::write_raw(d.file("cpp.pt"), std::string(bytes.begin(), bytes.end()));
  const TensorMap m = read_torch_state_dict(d.file("cpp.pt"));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_TRUE(torch::equal(m.at("a"), torch::arange(6).reshape({2, 3}).to(torch::kFloat32)));
  EXPECT_EQ(m.at("b").scalar_type(), torch::kFloat64);
}

TEST(PickleReader, RefusesArbitraryGlobals) {
  // pickle protocol 2: GLOBAL os.system, args ("echo hi",), REDUCE, STOP
  const std::string evil = std::string("\x80\x02") + "cos\nsystem\n" + binunicode("echo hi") + "\x85R.";
  const std::string err = pickle_error(evil);
  EXPECT_NE(err.find("'os.system'"), std::string::npos) << err;
  EXPECT_NE(err.find("refusing"), std::string::npos) << err;
}

TEST(PickleReader, MalformedPicklesAreErrors) {
  EXPECT_NE(pickle_error("").find("unexpected end"), std::string::npos);
  EXPECT_NE(pickle_error("\x80\x02}q\x00").find("unexpected end"), std::string::npos);  // no STOP
  EXPECT_NE(pickle_error("\x80\x02u.").find("MARK"), std::string::npos);               // SETITEMS without MARK
  EXPECT_NE(pickle_error("\x80\x02h\x05.").find("memo key 5"), std::string::npos);
  EXPECT_NE(pickle_error("\x80\x02X\xff\xff\xff\x7f").find("runs past the end"), std::string::npos);
  EXPECT_NE(pickle_error(std::string("\x80\x02\x01.", 4)).find("unsupported pickle opcode 0x01"), std::string::npos);
  EXPECT_NE(pickle_error("\x80\x02NN.").find("STOP with 2 values"), std::string::npos);
}

TEST(PickleReader, StorageViewsAreBoundsChecked) {
  // _rebuild_tensor_v2(storage of 4 floats, offset 2, size (4,), stride (1,)) reaches element 5.
  std::string p = std::string("\x80\x02") + "ctorch._utils\n_rebuild_tensor_v2\n" + "((" + binunicode("storage") +
                  "ctorch\nFloatStorage\n" + binunicode("0") + binunicode("cpu") + "K\x04tQ" + "K\x02K\x04\x85K\x01\x85\x89}tR.";
  const std::string err = pickle_error(p);
  EXPECT_NE(err.find("reaches element 5 of a storage of 4"), std::string::npos) << err;
}

TEST(PickleReader, RandomCorruptionNeverCrashes) {
  const std::string good = data_pkl(kFixtures + "/cubesnet_sd.pt");
  std::mt19937 rng(5);
  int errors = 0;
  for (int i = 0; i < 1500; ++i) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
    if (rng() % 5 == 0) bad.resize(rng() % bad.size());
    try {
      unpickle(bad, zeros_loader);
    } catch (const PickleError&) {
      ++errors;
    } catch (const c10::Error&) {
      ++errors;  // e.g. an absurd storage size refused by the allocator: still an exception, not a crash
    }
  }
  EXPECT_GT(errors, 100);
}

TEST(PickleReader, NotAZipIsAClearError) {
  TempDir d;
  ebm::test::write_raw(d.file("x.pt"), "PK\x03\x04 not really a zip");
  try {
    read_torch_state_dict(d.file("x.pt"));
    FAIL();
  } catch (const TorchPickleError& e) {
    EXPECT_NE(std::string(e.what()).find(d.file("x.pt")), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_torch_state_dict(d.file("missing.pt")), FileError);
}
