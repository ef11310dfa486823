// Replays every committed fuzz input through the harness bodies, in the normal build and in the
// sanitizer build: fuzz/corpus/<harness>/ (the seeds) and fuzz/regressions/<harness>/ (every input
// that once crashed, hung or broke an invariant — each stays here after its fix). A harness body
// returns normally for accepted and cleanly rejected inputs; an escaping exception fails the test.
#include "fuzz/harnesses.h"
#include "tests/support/file_bytes.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

class FuzzReplay : public ::testing::TestWithParam<ebm::fuzz::HarnessInfo> {};

TEST_P(FuzzReplay, SeedCorpusAndRegressionsPass) {
  const auto& h = GetParam();
  const fs::path root = fs::path(EBM_SOURCE_DIR) / "fuzz";
  const auto seeds = files_in(root / "corpus" / h.name);
  ASSERT_FALSE(seeds.empty()) << "no seed corpus in fuzz/corpus/" << h.name
                              << " (regenerate it with ebm_make_fuzz_seeds, see RELIABILITY.md)";
  auto inputs = seeds;
  for (const auto& p : files_in(root / "regressions" / h.name)) inputs.push_back(p);
  for (const auto& p : inputs) {
    SCOPED_TRACE(p.string());
    const std::string bytes = ebm::test::file_bytes(p);
    EXPECT_NO_THROW(h.fn(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  }
}

TEST_P(FuzzReplay, EmptyAndTinyInputsPass) {
  const auto& h = GetParam();
  const std::uint8_t bytes[3] = {0x01, 0xff, 0x00};
  for (std::size_t n = 0; n <= sizeof bytes; ++n) EXPECT_NO_THROW(h.fn(bytes, n)) << n << " bytes";
}

std::string harness_name(const ::testing::TestParamInfo<ebm::fuzz::HarnessInfo>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Harnesses, FuzzReplay, ::testing::ValuesIn(ebm::fuzz::all_harnesses()), harness_name);

}  // namespace
