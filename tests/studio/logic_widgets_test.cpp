// Schema → widgets: the Composition panel's choice of controls per label schema.
#include "app/studio/label_widgets.h"

#include <gtest/gtest.h>

using namespace ebm;
using namespace ebm::studio;

TEST(LabelWidgets, PositionGetsA2DPad) {
  auto w = widgets_for(LabelSchema::cubes_position());
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].kind, WidgetKind::Pad2D);
  EXPECT_EQ(w[0].slots, (std::vector<int>{0, 1}));
}

TEST(LabelWidgets, ContinuousSlotsGetSliders) {
  auto w = widgets_for(LabelSchema::cubes_size());
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].kind, WidgetKind::Slider);
  auto g = widgets_for(LabelSchema::generic(3));
  ASSERT_EQ(g.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(g[i].slots, std::vector<int>{i});
}

TEST(LabelWidgets, PadPlusSlidersForMixedSchemas) {
  LabelSchema s{"custom", {{"size", SlotKind::Continuous, 0, 1, {}}, {"x", SlotKind::Continuous, -1, 1, {}},
                           {"y", SlotKind::Continuous, -1, 1, {}}}};
  auto w = widgets_for(s);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].kind, WidgetKind::Pad2D);
  EXPECT_EQ(w[0].slots, (std::vector<int>{1, 2}));
  EXPECT_EQ(w[1].slots, std::vector<int>{0});
}

TEST(LabelWidgets, OneHotColoursGetSwatchesOthersRadios) {
  auto c = widgets_for(LabelSchema::cubes_color());
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].kind, WidgetKind::Swatches);
  EXPECT_EQ(c[0].slots.size(), 20u);
  auto s = widgets_for(LabelSchema::cubes_shape());
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].kind, WidgetKind::Radio);
  EXPECT_TRUE(widgets_for(LabelSchema{}).empty());
}

TEST(LabelWidgets, OneHotSelection) {
  std::vector<float> l = {0.2f, 0.5f, 0.3f};
  EXPECT_EQ(one_hot_index(l), 1);
  select_one_hot(l, 2);
  EXPECT_EQ(l, (std::vector<float>{0, 0, 1}));
  EXPECT_THROW(select_one_hot(l, 3), std::out_of_range);
  EXPECT_EQ(one_hot_index({}), -1);
}

TEST(LabelWidgets, PadMappingRoundTripsAndFlipsY) {
  LabelSlot sx{"x", SlotKind::Continuous, -1, 1, {}}, sy{"y", SlotKind::Continuous, -1, 1, {}};
  float x, y;
  pad_to_label(0, 0, 200, sx, sy, x, y);  // top-left of the pad
  EXPECT_FLOAT_EQ(x, -1);
  EXPECT_FLOAT_EQ(y, 1);
  pad_to_label(150, 50, 200, sx, sy, x, y);
  float px, py;
  label_to_pad(x, y, 200, sx, sy, px, py);
  EXPECT_NEAR(px, 150, 1e-4);
  EXPECT_NEAR(py, 50, 1e-4);
  pad_to_label(-50, 999, 200, sx, sy, x, y);  // clamped into range
  EXPECT_FLOAT_EQ(x, -1);
  EXPECT_FLOAT_EQ(y, -1);
}

TEST(LabelWidgets, ParseRgb) {
  float c[3];
  ASSERT_TRUE(parse_rgb("#ff8000", c));
  EXPECT_FLOAT_EQ(c[0], 1.f);
  EXPECT_NEAR(c[1], 128 / 255.f, 1e-6);
  EXPECT_FLOAT_EQ(c[2], 0.f);
  EXPECT_FALSE(parse_rgb("ff8000", c));
  EXPECT_FALSE(parse_rgb("#ff80zz", c));
}
