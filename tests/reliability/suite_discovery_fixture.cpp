// A GoogleTest executable for suite_discovery_test.sh: three suites of known tests, one of which
// fails on request, so the per-suite ctest mode (cmake/EbmSuiteDiscovery.cmake) can be checked to run
// every test of a suite and to report a suite with a failing test as failed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

TEST(Alpha, First) { std::cout << "alpha first ran\n"; }
TEST(Alpha, Second) { std::cout << "alpha second ran\n"; }
TEST(BetaGpu, NeedsADevice) { std::cout << "beta ran\n"; }
TEST(Gamma, FailsWhenAsked) {
  const char* fail = std::getenv("EBM_FIXTURE_FAIL");
  EXPECT_FALSE(fail && std::string(fail) == "1") << "asked to fail";
  std::cout << "gamma ran\n";
}
