// ReplayBuffer: ring semantics with wrap, sampling with replacement, exact vs quirk quantization,
// state round trip, errors.
#include "models/replay_buffer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace ebm {
namespace {

// Images whose every pixel is k/255 for k = first..first+n-1: identifiable after a round trip.
torch::Tensor coded(int first, int n) {
  auto v = torch::arange(first, first + n, torch::kFloat) / 255.0;
  return v.view({n, 1, 1, 1}).expand({n, 1, 2, 2}).contiguous();
}

TEST(ReplayBuffer, FillsThenWrapsOverTheOldest) {
  ReplayBuffer buf(5);
  EXPECT_TRUE(buf.empty());
  buf.add(coded(1, 3));
  EXPECT_EQ(buf.size(), 3);
  EXPECT_EQ(buf.next_index(), 3);
  buf.add(coded(4, 3));  // 4, 5 at slots 3, 4; 6 wraps to slot 0
  EXPECT_EQ(buf.size(), 5);
  EXPECT_EQ(buf.next_index(), 1);
  auto s = buf.storage().select(1, 0).select(1, 0).select(1, 0).to(torch::kLong);
  std::vector<int64_t> got(s.data_ptr<int64_t>(), s.data_ptr<int64_t>() + 5);
  EXPECT_EQ(got, (std::vector<int64_t>{6, 2, 3, 4, 5}));
  buf.add(coded(10, 7));  // larger than the capacity: only the newest 5 survive
  EXPECT_EQ(buf.size(), 5);
  auto all = buf.storage().flatten(1).select(1, 0).to(torch::kLong);
  std::vector<int64_t> v(all.data_ptr<int64_t>(), all.data_ptr<int64_t>() + 5);
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, (std::vector<int64_t>{12, 13, 14, 15, 16}));
}

TEST(ReplayBuffer, ExactModeRoundTripsEveryCode) {
  ReplayBuffer buf(256);
  buf.add(coded(0, 256));
  auto gen = at::detail::createCPUGenerator(1);
  auto x = buf.sample(1000, gen);
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{1000, 1, 2, 2}));
  auto codes = x * 255.0;
  EXPECT_TRUE(torch::equal(codes, codes.round())) << "exact mode returns q/255";
  EXPECT_EQ(buf.quantize(torch::tensor({0.5f}).view({1, 1, 1, 1})).item<uint8_t>(), 128) << "rounds, not truncates";
}

TEST(ReplayBuffer, SamplingIsWithReplacementAndSeeded) {
  ReplayBuffer buf(4);
  buf.add(coded(1, 2));
  auto g1 = at::detail::createCPUGenerator(5), g2 = at::detail::createCPUGenerator(5);
  auto a = buf.sample(50, g1), b = buf.sample(50, g2);
  EXPECT_TRUE(torch::equal(a, b));
  auto codes = std::get<0>(torch::_unique(torch::round(a * 255.0)));
  EXPECT_EQ(codes.numel(), 2) << "50 draws from 2 samples";
}

TEST(ReplayBuffer, QuirkModeReproducesThe255Over256Darkening) {
  ReplayBuffer buf(4, /*dequant_quirk=*/true);
  buf.add(torch::ones({2, 1, 8, 8}));
  auto gen = at::detail::createCPUGenerator(3);
  auto x = buf.sample(4, gen);
  EXPECT_GE(x.min().item<float>(), 255.0f / 256.0f);
  EXPECT_LT(x.max().item<float>(), 1.0f);
  EXPECT_EQ(buf.quantize(torch::full({1, 1, 1, 1}, 0.999f)).item<uint8_t>(), 254) << "truncates like numpy";
}

TEST(ReplayBuffer, StateRoundTripResumesExactly) {
  ReplayBuffer a(6);
  a.add(coded(1, 4));
  a.add(coded(20, 4));
  ReplayBuffer b(6);
  b.load_state(a.state());
  EXPECT_EQ(b.size(), a.size());
  EXPECT_EQ(b.next_index(), a.next_index());
  EXPECT_TRUE(torch::equal(b.storage(), a.storage()));
  a.add(coded(50, 1));
  b.add(coded(50, 1));
  EXPECT_TRUE(torch::equal(b.storage(), a.storage()));
  ReplayBuffer wrong(7);
  EXPECT_THROW(wrong.load_state(a.state()), std::invalid_argument);
  EXPECT_THROW(b.load_state({}), std::invalid_argument);
}

TEST(ReplayBuffer, BadInputsAreRejected) {
  EXPECT_THROW(ReplayBuffer(0), std::invalid_argument);
  ReplayBuffer buf(3);
  auto gen = at::detail::createCPUGenerator(1);
  EXPECT_THROW(buf.sample(1, gen), std::logic_error);
  EXPECT_THROW(buf.add(torch::rand({3, 4})), std::invalid_argument);
  buf.add(torch::rand({1, 3, 4, 4}));
  EXPECT_THROW(buf.add(torch::rand({1, 3, 5, 5})), std::invalid_argument);
  EXPECT_THROW(buf.sample(0, gen), std::invalid_argument);
}

}  // namespace
}  // namespace ebm
