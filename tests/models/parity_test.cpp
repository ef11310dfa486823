// Parity with the PyTorch reference port: every fixture case (each model, each flag that changes the
// computation) must give the reference's outputs and input gradients to 1e-5 relative (fp32, CPU).
#include "parity_util.h"

#include <gtest/gtest.h>

namespace ebm::test {
namespace {

constexpr double kCpuTolerance = 1e-5;

class Parity : public ::testing::TestWithParam<std::string> {};

TEST_P(Parity, MatchesReferenceOnCpu) {
  const auto c = load_parity_case(GetParam());
  auto model = build_parity_model(c, torch::kCPU);
  const auto got = run_parity_case(c, *model, torch::kCPU);
  const auto keys = expected_keys(c);
  ASSERT_FALSE(keys.empty());
  for (const auto& k : keys) {
    auto it = got.find(k);
    ASSERT_NE(it, got.end()) << "the C++ run produced no '" << k << "'";
    EXPECT_LE(max_rel_error(it->second, c.tensors.at(k)), kCpuTolerance) << GetParam() << ": " << k;
  }
}

TEST(ParityFixtures, AllCasesPresent) {
  // A missing fixture must fail loudly rather than silently shrink the suite.
  EXPECT_GE(list_parity_cases().size(), 19u) << "regenerate with tools/make_parity_fixtures.py";
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Parity, ::testing::ValuesIn(list_parity_cases()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ebm::test
