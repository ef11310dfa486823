// The Views panel's per-term gradient maps: tile layout beside the grid and the colour scale choice.
#include "app/studio/gradient_view.h"
#include "app/studio/script.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace ebm::studio;

TEST(GradientView, TwoTermsStackInOneColumnWhenThePanelIsWide) {
  // 1000×600 panel, 40% for the maps: two tiles of (600 − 2·30 − 4)/2 = 268 → capped at 256.
  auto l = grad_tile_layout(2, 1000.f, 600.f, 30.f, 4.f, 48.f, 256.f);
  EXPECT_EQ(l.cols, 1);
  EXPECT_FLOAT_EQ(l.tile, 256.f);
  EXPECT_FLOAT_EQ(l.side_w, 256.f);
}

TEST(GradientView, ManyTermsUseMoreColumnsWhenThatGivesBiggerTiles) {
  // Six maps in a short panel: one column would give (300 − 6·20 − 5·4)/6 ≈ 26 px, two columns
  // (300 − 3·20 − 2·4)/3 ≈ 77; three columns of two rows give min((400 − 8)/3, (300 − 40 − 4)/2) = 128.
  auto l = grad_tile_layout(6, 1000.f, 300.f, 20.f, 4.f, 16.f, 512.f);
  EXPECT_EQ(l.cols, 3);
  EXPECT_FLOAT_EQ(l.tile, 128.f);
  EXPECT_FLOAT_EQ(l.side_w, 3.f * l.tile + 2.f * 4.f);
  EXPECT_LE(l.side_w, 400.f);
}

TEST(GradientView, TilesNeverShrinkBelowTheMinimumAndNothingTakesNoRoom) {
  auto l = grad_tile_layout(3, 100.f, 50.f, 20.f, 4.f, 48.f, 256.f);
  EXPECT_FLOAT_EQ(l.tile, 48.f);  // the column scrolls instead
  EXPECT_GE(l.side_w, 48.f);
  EXPECT_FLOAT_EQ(grad_tile_layout(0, 1000.f, 600.f, 20.f, 4.f, 48.f, 256.f).side_w, 0.f);
}

TEST(GradientView, SharedScaleUsesTheLargestMaximumForEveryTerm) {
  auto s = grad_scales({2.f, 0.5f, 0.f}, /*shared=*/true, /*log=*/false);
  ASSERT_EQ(s.size(), 3u);
  for (const auto& r : s) {
    EXPECT_FLOAT_EQ(r.lo, 0.f);
    EXPECT_FLOAT_EQ(r.hi, 2.f);
  }
}

TEST(GradientView, PerTermScaleUsesEachMaximumAndZeroMapsStayDrawable) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto s = grad_scales({2.f, 0.5f, 0.f, nan}, /*shared=*/false, /*log=*/false);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_FLOAT_EQ(s[0].hi, 2.f);
  EXPECT_FLOAT_EQ(s[1].hi, 0.5f);
  EXPECT_GT(s[2].hi, 0.f);  // all-zero map: a tiny positive range, drawn as the lowest colour
  EXPECT_GT(s[3].hi, 0.f);
  EXPECT_LT(s[2].hi, 1e-6f);
}

TEST(GradientView, LogScaleSpansDecadesBelowTheTop) {
  auto s = grad_scales({10.f, 0.1f}, /*shared=*/true, /*log=*/true, 3.f);
  EXPECT_FLOAT_EQ(s[1].hi, 10.f);
  EXPECT_NEAR(s[1].lo, 0.01f, 1e-6f);
  auto p = grad_scales({10.f, 0.1f}, /*shared=*/false, /*log=*/true, 2.f);
  EXPECT_NEAR(p[1].lo, 0.001f, 1e-7f);
}

TEST(GradientView, CaptionNamesTermModelAndNorm) {
  EXPECT_EQ(grad_caption("position", "position", 0.25), "position\n|g| 0.25");
  EXPECT_EQ(grad_caption("shape_2", "shape", 1.5e-4), "shape_2 · shape\n|g| 1.500e-04");
}

TEST(GradientView, ScriptCanWaitForTheGradientMaps) {
  auto s = parse_script(R"([{"do": "select", "sample": 1}, {"do": "wait", "until": "gradients"}])", ".");
  EXPECT_EQ(s.actions.size(), 2u);
  EXPECT_THROW(parse_script(R"([{"do": "wait", "until": "gradient"}])", "."), std::invalid_argument);
}
