#include "engine/rng/counter_rng.h"

#include <gtest/gtest.h>

namespace ebm {
namespace {

// The mixer is the determinism contract (engine/rng/hash32.h): pinned values of lowbias32, so a
// change to it (or to one copy of it) fails here rather than silently changing every sample.
TEST(CounterRng, TheMixerKeepsItsValues) {
  EXPECT_EQ(hash32(0u), 0u);
  EXPECT_EQ(hash32(1u), 0x688990c0u);
  EXPECT_EQ(hash32(0x12345678u), 0xf5e71c96u);
}

TEST(CounterRng, ScalarHashMatchesTensorHash) {
  // The tensor path must compute the same mixer as the scalar one: check through a one-element draw
  // whose value we can rebuild on the host.
  const std::uint32_t key = noise_key(42, NoiseStream::Langevin, 0, 5);
  auto ids = torch::tensor({3}, torch::kLong);
  auto u = counter_uniform(key, ids, {1});
  std::uint32_t ks = hash32(3u ^ key);
  ks = hash32(ks ^ 0u);
  std::uint32_t he = hash32(0u ^ 0x5bd1e995u);
  std::uint32_t h = hash32(ks ^ he);
  EXPECT_FLOAT_EQ(u.item<float>(), static_cast<float>(h >> 8) / 16777216.0f);
}

TEST(CounterRng, NormalHasUnitMoments) {
  auto ids = torch::arange(64, torch::kLong);
  auto z = counter_normal(noise_key(1, NoiseStream::Langevin, 0, 0), ids, {3, 16, 16});
  EXPECT_EQ(z.sizes(), (std::vector<int64_t>{64, 3, 16, 16}));
  EXPECT_NEAR(z.mean().item<double>(), 0.0, 0.01);
  EXPECT_NEAR(z.std().item<double>(), 1.0, 0.01);
  EXPECT_TRUE(torch::isfinite(z).all().item<bool>());
  auto u = counter_uniform(noise_key(1, NoiseStream::Init, 0, 0), ids, {3, 16, 16});
  EXPECT_GE(u.min().item<float>(), 0.f);
  EXPECT_LT(u.max().item<float>(), 1.f);
  EXPECT_NEAR(u.mean().item<double>(), 0.5, 0.005);
}

TEST(CounterRng, SampleStreamsDoNotDependOnBatch) {
  const auto key = noise_key(9, NoiseStream::Langevin, 0, 17);
  auto all = counter_normal(key, torch::arange(16, torch::kLong), {3, 4, 4});
  auto one = counter_normal(key, torch::tensor({11}, torch::kLong), {3, 4, 4});
  EXPECT_TRUE(torch::equal(all[11], one[0]));
  auto perm = counter_normal(key, torch::tensor({5, 11, 2}, torch::kLong), {3, 4, 4});
  EXPECT_TRUE(torch::equal(all[11], perm[1]));
  // Different keys, samples and elements decorrelate.
  auto other = counter_normal(noise_key(9, NoiseStream::Langevin, 0, 18), torch::arange(16, torch::kLong), {3, 4, 4});
  EXPECT_LT(std::abs((all * other).mean().item<double>()), 0.1);
  EXPECT_FALSE(torch::equal(all[0], all[1]));
}

TEST(CounterRng, KeysSeparateSeedsStreamsAndCounters) {
  EXPECT_NE(noise_key(1, NoiseStream::Init, 0, 0), noise_key(2, NoiseStream::Init, 0, 0));
  EXPECT_NE(noise_key(1, NoiseStream::Init, 0, 0), noise_key(1, NoiseStream::Langevin, 0, 0));
  EXPECT_NE(noise_key(1, NoiseStream::Langevin, 0, 0), noise_key(1, NoiseStream::Langevin, 1, 0));
  EXPECT_NE(noise_key(1, NoiseStream::Langevin, 0, 0), noise_key(1, NoiseStream::Langevin, 0, 1));
  EXPECT_NE(noise_key(1ull << 32, NoiseStream::Init, 0, 0), noise_key(0, NoiseStream::Init, 0, 0));
}

}  // namespace
}  // namespace ebm
