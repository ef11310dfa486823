// Training-data augmentation (models/layers/augment.h): shapes and ranges kept, one draw per image,
// deterministic per seed, and each transform doing what it says on images whose answer is known.
#include "models/layers/augment.h"
#include "models/layers/preprocess.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

namespace ebm {
namespace {

torch::Generator gen(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

TEST(Augment, KeepsShapeAndRangeAndRepeatsPerSeed) {
  torch::manual_seed(0);
  const auto x = torch::rand({6, 3, 16, 16});
  const auto o = AugmentOptions::standard();
  auto g1 = gen(5), g2 = gen(5), g3 = gen(6);
  const auto a = augment_batch(x, o, g1), b = augment_batch(x, o, g2), c = augment_batch(x, o, g3);
  EXPECT_EQ(a.sizes(), x.sizes());
  EXPECT_GE(a.min().item<float>(), 0.f);
  EXPECT_LE(a.max().item<float>(), 1.f);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  // One draw per image: the same image twice in a batch comes out different.
  auto g4 = gen(7);
  const auto twice = augment_batch(torch::cat({x.narrow(0, 0, 1), x.narrow(0, 0, 1)}), o, g4);
  EXPECT_FALSE(torch::allclose(twice[0], twice[1]));
}

TEST(Augment, OffIsTheIdentity) {
  const auto x = torch::rand({2, 3, 8, 8});
  auto g = gen(1);
  EXPECT_TRUE(torch::equal(augment_batch(x, AugmentOptions{}, g), x));
  EXPECT_EQ(AugmentOptions{}.describe(), "off");
}

TEST(Augment, TranslationMovesByWholePixels) {
  auto x = torch::zeros({8, 1, 15, 15});
  x.index_put_({torch::indexing::Slice(), 0, 7, 7}, 1.f);  // a dot in the middle
  AugmentOptions o;
  o.translate = 3;
  auto g = gen(3);
  const auto y = augment_batch(x, o, g);
  for (int64_t i = 0; i < 8; ++i) {
    EXPECT_NEAR(y[i].sum().item<float>(), 1.f, 1e-4) << i;  // moved, not smeared
    const auto at = y[i][0].argmax().item<int64_t>();
    EXPECT_LE(std::abs(at / 15 - 7), 3) << i;
    EXPECT_LE(std::abs(at % 15 - 7), 3) << i;
  }
}

TEST(Augment, RotationAndScaleKeepTheCentre) {
  auto x = torch::zeros({4, 1, 15, 15});
  x.index_put_({torch::indexing::Slice(), 0, 7, 7}, 1.f);
  AugmentOptions o;
  o.rotate_deg = 10;
  o.scale = 0.2;
  auto g = gen(9);
  const auto y = augment_batch(x, o, g);
  for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(y[i][0].argmax().item<int64_t>(), 7 * 15 + 7) << i;
}

TEST(Augment, ColourJitterKeepsGreyGreyAndBlurIsTheBinomialKernel) {
  const auto grey = torch::full({4, 3, 8, 8}, 0.4f);
  AugmentOptions o;
  o.color_jitter = 0.3;
  auto g = gen(2);
  const auto y = augment_batch(grey, o, g);
  EXPECT_TRUE(torch::allclose(y.select(1, 0), y.select(1, 2), 1e-6, 1e-6));  // still grey
  EXPECT_GT((y - grey).abs().max().item<float>(), 1e-3f);                       // but brighter or darker

  auto dot = torch::zeros({1, 1, 7, 7});
  dot.index_put_({0, 0, 3, 3}, 1.f);
  AugmentOptions b;
  b.blur = 1.0;
  auto g2 = gen(4);
  const auto blurred = augment_batch(dot, b, g2);
  EXPECT_TRUE(torch::allclose(blurred[0][0].narrow(0, 2, 3).narrow(1, 2, 3), binomial_kernel(3), 1e-6, 1e-6));
}

TEST(Augment, RefusesBadOptions) {
  AugmentOptions o;
  o.scale = 1.5;
  auto g = gen(1);
  EXPECT_THROW(augment_batch(torch::rand({1, 3, 8, 8}), o, g), std::invalid_argument);
  o = AugmentOptions{};
  o.translate = -1;
  EXPECT_THROW(o.validate(), std::invalid_argument);
  EXPECT_NE(AugmentOptions::standard().describe().find("rotate 10"), std::string::npos);
}

}  // namespace
}  // namespace ebm
