// Atlas tiling (CPU): every sample lands in its cell, padding has the background, values round to
// nearest like PNG export.
#include "app/studio/grid_layout.h"
#include "engine/gpu/atlas.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace ebm::studio;

TEST(Atlas, RgbaTilesEverySampleIntoItsCell) {
  const int B = 5, H = 4, W = 3;
  auto layout = GridLayout::make(B, W, H, 2);
  auto images = torch::zeros({B, 3, H, W});
  for (int b = 0; b < B; ++b) {
    images[b][0].fill_(b / 10.f);       // red encodes the sample index
    images[b][1][1][2] = 1.f;           // one green pixel at (row 1, col 2)
  }
  auto out = torch::empty({layout.height(), layout.width(), 4}, torch::kUInt8);
  fill_rgba_atlas(images, layout, out, {1, 2, 3, 255});
  for (int b = 0; b < B; ++b) {
    Rect r = layout.cell_rect(b);
    const int x = static_cast<int>(r.x), y = static_cast<int>(r.y);
    EXPECT_EQ(out[y][x][0].item<int>(), static_cast<int>(std::nearbyint(b / 10.f * 255.f))) << "sample " << b;
    EXPECT_EQ(out[y + 1][x + 2][1].item<int>(), 255);
    EXPECT_EQ(out[y][x][3].item<int>(), 255);
  }
  EXPECT_EQ(out[0][0][0].item<int>(), 1);  // border padding
  EXPECT_EQ(out[0][0][2].item<int>(), 3);
  Rect empty_slot = {static_cast<float>(2 + 2 * (W + 2)), static_cast<float>(2 + 1 * (H + 2)), 0, 0};
  EXPECT_EQ(out[static_cast<int>(empty_slot.y)][static_cast<int>(empty_slot.x)][1].item<int>(), 2);  // slot 5: empty
}

TEST(Atlas, GreyImagesAndClamping) {
  auto layout = GridLayout::make(1, 2, 2, 0);
  auto images = torch::full({1, 1, 2, 2}, 2.0f);
  auto out = torch::empty({2, 2, 4}, torch::kUInt8);
  fill_rgba_atlas(images, layout, out);
  EXPECT_EQ(out[1][1][0].item<int>(), 255);
  EXPECT_EQ(out[1][1][2].item<int>(), 255);
}

TEST(Atlas, ScalarFields) {
  auto layout = GridLayout::make(2, 2, 2, 1);
  auto f = torch::arange(8, torch::kFloat).view({2, 2, 2});
  auto out = torch::empty({layout.height(), layout.width()}, torch::kFloat);
  fill_scalar_atlas(f, layout, out, -1.f);
  EXPECT_EQ(out[1][1].item<float>(), 0.f);
  EXPECT_EQ(out[2][2].item<float>(), 3.f);
  EXPECT_EQ(out[1][4].item<float>(), 4.f);  // second cell starts at x = 1 + 2 + 1
  EXPECT_EQ(out[0][0].item<float>(), -1.f);
}

TEST(Atlas, MismatchesAreClearErrors) {
  auto layout = GridLayout::make(2, 4, 4, 1);
  auto out = torch::empty({layout.height(), layout.width(), 4}, torch::kUInt8);
  EXPECT_THROW(fill_rgba_atlas(torch::zeros({3, 3, 4, 4}), layout, out), std::invalid_argument);
  EXPECT_THROW(fill_rgba_atlas(torch::zeros({2, 2, 4, 4}), layout, out), std::invalid_argument);
  auto wrong = torch::empty({layout.height(), layout.width(), 3}, torch::kUInt8);
  EXPECT_THROW(fill_rgba_atlas(torch::zeros({2, 3, 4, 4}), layout, wrong), std::invalid_argument);
}

namespace ebm::gpu {
namespace {

// Every pixel of the atlas, for a batch that leaves the last grid row part-empty and a background
// that is not opaque: each cell holds its image's bytes as export rounds them (opaque), every
// other pixel the background.
TEST(Atlas, EveryPixelIsItsCellsExportedByteOrTheBackground) {
  torch::manual_seed(3);
  const int B = 7, H = 5, W = 6;
  AtlasLayout layout;
  layout.count = B, layout.cols = 3, layout.rows = 3, layout.cell_h = H, layout.cell_w = W, layout.pad = 2;
  for (int channels : {3, 1}) {
    const auto images = torch::rand({B, channels, H, W}) * 1.4 - 0.2;  // some values outside [0, 1]
    auto out = torch::empty({layout.height(), layout.width(), 4}, torch::kUInt8);
    fill_rgba_atlas(images, layout, out, {1, 2, 3, 40});
    const auto expect = images.clamp(0, 1).mul(255.f).round().to(torch::kUInt8).expand({B, 3, H, W});
    auto seen = torch::zeros({layout.height(), layout.width()}, torch::kBool);
    for (int b = 0; b < B; ++b) {
      const int y0 = layout.pad + (b / layout.cols) * (H + layout.pad), x0 = layout.pad + (b % layout.cols) * (W + layout.pad);
      auto cell = out.narrow(0, y0, H).narrow(1, x0, W);
      EXPECT_TRUE(torch::equal(cell.narrow(2, 0, 3).permute({2, 0, 1}), expect[b])) << "sample " << b << ", C " << channels;
      EXPECT_TRUE((cell.select(2, 3) == 255).all().item<bool>()) << "sample " << b;
      seen.narrow(0, y0, H).narrow(1, x0, W).fill_(true);
    }
    const auto bg = torch::tensor({1, 2, 3, 40}, torch::kUInt8);
    const auto rest = out.index({seen.logical_not()});
    ASSERT_EQ(rest.size(0), layout.height() * layout.width() - B * H * W);
    EXPECT_TRUE((rest == bg).all().item<bool>()) << "C " << channels;
  }
}

}  // namespace
}  // namespace ebm::gpu
