// Mask painting: brush falloff, strokes, erase/invert/fill.
#include "app/studio/mask_brush.h"

#include <gtest/gtest.h>

using namespace ebm::studio;

TEST(MaskBrush, FalloffIsHardInsideAndZeroOutside) {
  Brush b;
  b.radius = 10;
  b.hardness = 0.5f;
  EXPECT_FLOAT_EQ(brush_falloff(0, b), 1.f);
  EXPECT_FLOAT_EQ(brush_falloff(5, b), 1.f);
  EXPECT_GT(brush_falloff(7, b), 0.f);
  EXPECT_LT(brush_falloff(7, b), 1.f);
  EXPECT_FLOAT_EQ(brush_falloff(10, b), 0.f);
  EXPECT_GT(brush_falloff(6, b), brush_falloff(8, b));  // monotone
}

TEST(MaskBrush, StrokePaintsAContinuousLine) {
  MaskImage m(64, 64, 0.f);
  Brush b;
  b.radius = 3;
  b.hardness = 1.f;
  m.stroke({5, 32, 60, 32}, b);  // one fast segment: dabs must be interpolated
  for (int x = 5; x <= 60; ++x) EXPECT_FLOAT_EQ(m.at(x, 32), 1.f) << "gap at x=" << x;
  EXPECT_FLOAT_EQ(m.at(32, 10), 0.f);
  EXPECT_FLOAT_EQ(m.at(32, 40), 0.f);
}

TEST(MaskBrush, SoftBrushDoesNotOverAccumulate) {
  MaskImage m(32, 32, 0.f);
  Brush b;
  b.radius = 8;
  b.hardness = 0.f;
  b.opacity = 0.5f;
  m.stroke({16, 16, 16.5f, 16, 17, 16}, b);  // many overlapping dabs at nearly one point
  EXPECT_NEAR(m.at(16, 15), 0.5f, 0.05f);    // one dab's worth, not the sum
}

TEST(MaskBrush, EraseInvertFillClear) {
  MaskImage m(16, 16, 1.f);
  Brush b;
  b.radius = 4;
  b.hardness = 1.f;
  b.erase = true;
  m.dab(8, 8, b);
  EXPECT_FLOAT_EQ(m.at(8, 8), 0.f);
  EXPECT_FLOAT_EQ(m.at(0, 0), 1.f);
  m.invert();
  EXPECT_FLOAT_EQ(m.at(8, 8), 1.f);
  EXPECT_FLOAT_EQ(m.at(0, 0), 0.f);
  m.fill(1.f);
  EXPECT_FLOAT_EQ(m.coverage(), 1.f);
  m.clear();
  EXPECT_FLOAT_EQ(m.coverage(), 0.f);
}

TEST(MaskBrush, BadInputsAreRejected) {
  EXPECT_THROW(MaskImage(0, 5), std::invalid_argument);
  MaskImage m(8, 8, 0.f);
  EXPECT_THROW(m.stroke({1, 2, 3}, Brush{}), std::invalid_argument);
  m.dab(-100, -100, Brush{});  // off the mask: no effect, no crash
  EXPECT_FLOAT_EQ(m.coverage(), 0.f);
}
