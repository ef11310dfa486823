// Regressions of the PyTorch .pt reader found by fuzz/harness_torch_pt (and the hand-made cases
// that the first finding pointed to). Each input once crashed LibTorch 1.13 inside
// torch::pickle_load or made it allocate gigabytes; each must now be refused with a
// TorchPickleError that says what is wrong — and real torch.save files must still load.
#include "models/checkpoint/pickle_check.h"
#include "models/checkpoint/torch_pickle.h"
#include "models/checkpoint/zip_check.h"
#include "tests/support/file_bytes.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace ebm;
using namespace std::string_literals;

namespace {

const fs::path kRegressions = fs::path(EBM_SOURCE_DIR) / "fuzz/regressions/torch_pt";
const fs::path kCorpus = fs::path(EBM_SOURCE_DIR) / "fuzz/corpus/torch_pt";

std::string error_of(const fs::path& p) {
  try {
    read_torch_state_dict(p.string());
  } catch (const TorchPickleError& e) {
    return e.what();
  }
  return "";
}

std::string pickle(const std::string& ops) { return std::string("\x80\x02", 2) + ops; }

TEST(TorchPtRegression, MinizCentralDirectoryOverreadIsRefused) {
  // The central directory's bytes were mutated: miniz followed them past the end of the buffer.
  const std::string msg = error_of(kRegressions / "crash-miniz-oob-read-central-dir");
  EXPECT_NE(msg.find("crash-miniz-oob-read-central-dir"), std::string::npos) << msg;
  EXPECT_NE(msg.find("copy or download the file again"), std::string::npos) << msg;
}

TEST(TorchPtRegression, RecordLibTorchCannotExtractIsRefused) {
  // A central-directory entry whose flags claim encryption: the archive checks pass, LibTorch's
  // getRecord throws c10::Error ("unsupported encryption"), which escaped read_torch_state_dict.
  const std::string msg = error_of(kRegressions / "crash-getrecord-unsupported-encryption");
  EXPECT_NE(msg.find("cannot extract its record"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unsupported encryption"), std::string::npos) << msg;
  EXPECT_NE(msg.find("copy or download the file again"), std::string::npos) << msg;
}

TEST(TorchPtRegression, HugeStringLengthIsRefusedBeforeAllocation) {
  // A BINUNICODE length of ~4 GB in a 1 KiB file: LibTorch reserved and zeroed that much.
  const std::string msg = error_of(kRegressions / "oom-unpickler-string-length");
  EXPECT_NE(msg.find("claims"), std::string::npos) << msg;
}

TEST(TorchPtRegression, StackUnderflowsAreRefused) {
  for (const char* op : {"binpersid", "build", "newobj", "reduce", "tuple1", "tuple2", "tuple3"}) {
    const std::string msg = error_of(kRegressions / (std::string("crash-stack-underflow-") + op + ".pt"));
    EXPECT_NE(msg.find("stack items but finds 0"), std::string::npos) << op << ": " << msg;
  }
}

TEST(TorchPtRegression, RealTorchSaveFilesStillLoad) {
  // Written by Python's torch.save (1.13) and by torch::pickle_save: both must pass the checks.
  std::string container;
  TensorMap py = read_torch_state_dict((kCorpus / "python_torch_save.pt").string(), &container);
  ASSERT_EQ(py.size(), 2u);
  EXPECT_TRUE(py.at("a").equal(torch::zeros({2})));
  EXPECT_TRUE(py.at("b").equal(torch::arange(3)));
  EXPECT_EQ(read_torch_state_dict((kCorpus / "state_dict.pt").string()).size(), 2u);
  TensorMap wrapped = read_torch_state_dict((kCorpus / "training_checkpoint.pt").string(), &container);
  EXPECT_EQ(container, "model_state_dict");
  EXPECT_EQ(wrapped.size(), 2u);
  for (const char* f : {"python_torch_save.pt", "state_dict.pt", "training_checkpoint.pt", "not_a_dict.pt"})
    EXPECT_EQ(check_torch_archive(ebm::test::file_bytes(kCorpus / f)), "") << f;
}

TEST(TorchPtRegression, TruncatedDownloadSaysSo) {
  const std::string full = ebm::test::file_bytes(kCorpus / "python_torch_save.pt");
  for (std::size_t n : {full.size() - 1, full.size() / 2, std::size_t{40}})
    EXPECT_NE(check_zip_archive(full.substr(0, n)), "") << n << " bytes";
  EXPECT_NE(check_zip_archive(full.substr(0, full.size() / 2)).find("end-of-directory"), std::string::npos);
}

TEST(PickleCheck, AcceptsWellFormedPrograms) {
  EXPECT_EQ(check_pickle_program(pickle("}q\x00("s + "X\x01\x00\x00\x00"s + "aK\x01u.")), "");  // {'a': 1}
  EXPECT_EQ(check_pickle_program(pickle("(K\x01K\x02tq\x00"s + "h\x00"s + "\x86.")), "");         // ((1,2),(1,2))
  EXPECT_EQ(check_pickle_program(pickle("]q\x00"s + "(K\x01K\x02e.")), "");                       // [1, 2]
  EXPECT_EQ(check_pickle_program(pickle("ccollections\nOrderedDict\n)R.")), "");                   // OrderedDict()
}

TEST(PickleCheck, RefusesEachUnderflowAndLie) {
  EXPECT_NE(check_pickle_program(pickle("R.")).find("needs 2 stack items"), std::string::npos);
  EXPECT_NE(check_pickle_program(pickle("K\x01(R.")).find("finds 0"), std::string::npos);  // item below the MARK
  EXPECT_NE(check_pickle_program(pickle("t.")).find("needs a MARK"), std::string::npos);
  EXPECT_NE(check_pickle_program(pickle("(K\x01u.")).find("no container"), std::string::npos);
  EXPECT_NE(check_pickle_program(pickle("1.")).find("POP_MARK"), std::string::npos);
  EXPECT_NE(check_pickle_program(pickle("X\xff\xff\xff\x7f.")).find("claims 2147483647 bytes"), std::string::npos);
  EXPECT_NE(check_pickle_program(pickle("\x8e\xff\xff\xff\xff\xff\xff\xff\xff.")).find("claims"), std::string::npos);
  EXPECT_NE(check_pickle_program(pickle("K\x01r\xff\xff\xff\x7f.")).find("memo index"), std::string::npos);
  EXPECT_NE(check_pickle_program(pickle("K\x01")).find("no STOP"), std::string::npos);
  EXPECT_NE(check_pickle_program(pickle("K\x01.K")).find("after the pickle's STOP"), std::string::npos);
  EXPECT_NE(check_pickle_program(pickle("\xff.")).find("unknown pickle opcode 255"), std::string::npos);
  EXPECT_NE(check_pickle_program(pickle("\x95"s + std::string(6, '\0') + "\x01\x00"s + ".")).find("frame"), std::string::npos);
}

TEST(ZipCheck, RefusesClaimsTheFileCannotBackUp) {
  std::string z = ebm::test::file_bytes(kCorpus / "state_dict.pt");
  ASSERT_EQ(check_zip_archive(z), "");
  // Appending bytes moves the end record away from where the directory says it ends.
  EXPECT_NE(check_zip_archive(z + std::string(5, 'x')), "");
  // A central-directory entry claiming a stored size larger than the archive.
  std::vector<ZipEntry> entries;
  ASSERT_EQ(check_zip_archive(z, &entries), "");
  const std::size_t cd = z.rfind("PK\x01\x02");
  std::string bad = z;
  bad[cd + 20] = bad[cd + 24] = '\x7f';  // compressed and uncompressed sizes of the last entry
  EXPECT_NE(check_zip_archive(bad).find("runs past the end"), std::string::npos) << check_zip_archive(bad);
}

}  // namespace
