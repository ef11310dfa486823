// AutocastGuard: the one wrapper of LibTorch's version-dependent autocast API. Checked on the CPU,
// whose autocast has the same switches as CUDA's (the CUDA side runs in the GPU suites).
#include "models/autocast_guard.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <gtest/gtest.h>

namespace ebm {
namespace {

TEST(AutocastGuard, EnablesForTheScopeAndPutsEverythingBack) {
  ASSERT_FALSE(autocast_enabled(c10::kCPU));
  const c10::ScalarType before = autocast_dtype(c10::kCPU);
  const bool cache_before = at::autocast::is_autocast_cache_enabled();
  {
    AutocastGuard amp(c10::kCPU, at::kBFloat16, /*cast_cache=*/false);
    EXPECT_TRUE(autocast_enabled(c10::kCPU));
    EXPECT_EQ(autocast_dtype(c10::kCPU), at::kBFloat16);
    EXPECT_FALSE(at::autocast::is_autocast_cache_enabled());
    // What autocast is for: a matmul under it computes in the low precision.
    auto a = torch::randn({4, 4});
    EXPECT_EQ(torch::mm(a, a).scalar_type(), at::kBFloat16);
  }
  EXPECT_FALSE(autocast_enabled(c10::kCPU));
  EXPECT_EQ(autocast_dtype(c10::kCPU), before);
  EXPECT_EQ(at::autocast::is_autocast_cache_enabled(), cache_before);
  auto a = torch::randn({4, 4});
  EXPECT_EQ(torch::mm(a, a).scalar_type(), at::kFloat);
}

TEST(AutocastGuard, NestedGuardsRestoreTheOuterOnes) {
  AutocastGuard outer(c10::kCPU, at::kBFloat16);
  ASSERT_TRUE(at::autocast::is_autocast_cache_enabled());
  {
    AutocastGuard inner(c10::kCPU, at::kBFloat16, /*cast_cache=*/false);
    EXPECT_FALSE(at::autocast::is_autocast_cache_enabled());
  }
  EXPECT_TRUE(autocast_enabled(c10::kCPU));  // the outer scope is still on, with its cache
  EXPECT_TRUE(at::autocast::is_autocast_cache_enabled());
  EXPECT_EQ(autocast_dtype(c10::kCPU), at::kBFloat16);
  EXPECT_FALSE(autocast_enabled(c10::kCUDA));  // the other device type was never touched
}

TEST(AutocastGuard, AnUnsupportedDeviceTypeIsRefusedByName) {
  try {
    AutocastGuard amp(c10::kMPS, at::kHalf);
    FAIL() << "MPS autocast was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("MPS"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(autocast_enabled(c10::kCPU));
}

}  // namespace
}  // namespace ebm
