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
