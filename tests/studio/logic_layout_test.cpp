// Grid layout and view transform: the mapping between mouse, atlas pixels and sample index.
#include "app/studio/grid_layout.h"

#include <gtest/gtest.h>

using namespace ebm::studio;

TEST(GridLayout, NearSquareGridAndSizes) {
  auto g = GridLayout::make(16, 64, 64, 2);
  EXPECT_EQ(g.cols, 4);
  EXPECT_EQ(g.rows, 4);
  EXPECT_EQ(g.width(), 4 * 66 + 2);
  auto g5 = GridLayout::make(5, 64, 64, 2);
  EXPECT_EQ(g5.cols, 3);
  EXPECT_EQ(g5.rows, 2);
  auto g1 = GridLayout::make(1, 32, 32, 0);
  EXPECT_EQ(g1.width(), 32);
  auto forced = GridLayout::make(6, 8, 8, 1, 6);
  EXPECT_EQ(forced.cols, 6);
  EXPECT_EQ(forced.rows, 1);
}

TEST(GridLayout, CellAtInvertsCellRect) {
  auto g = GridLayout::make(7, 10, 12, 3);
  for (int i = 0; i < g.count; ++i) {
    Rect r = g.cell_rect(i);
    EXPECT_EQ(g.cell_at(r.x, r.y), i);
    EXPECT_EQ(g.cell_at(r.x + r.w - 0.01f, r.y + r.h - 0.01f), i);
    EXPECT_EQ(g.cell_at(r.x - 0.5f, r.y), i % g.cols == 0 ? -1 : -1);  // padding to the left
  }
  EXPECT_EQ(g.cell_at(1.f, 1.f), -1);                 // border padding
  EXPECT_EQ(g.cell_at(g.width() + 5.f, 4.f), -1);     // outside
  Rect last_slot = {3.f + 2 * 13.f, 3.f + 2 * 15.f, 10.f, 12.f};  // slot 8 of a 3x3 grid: empty
  EXPECT_EQ(g.cell_at(last_slot.x + 1, last_slot.y + 1), -1);
}

TEST(ViewTransform, ZoomKeepsPointUnderCursor) {
  ViewTransform v;
  v.pan_x = 10;
  v.pan_y = 20;
  float ax0, ay0, ax1, ay1;
  v.screen_to_atlas(100, 50, ax0, ay0);
  v.zoom_at(100, 50, 2.5f);
  v.screen_to_atlas(100, 50, ax1, ay1);
  EXPECT_NEAR(ax0, ax1, 1e-4);
  EXPECT_NEAR(ay0, ay1, 1e-4);
  EXPECT_FLOAT_EQ(v.zoom, 2.5f);
  float sx, sy;
  v.atlas_to_screen(ax1, ay1, sx, sy);
  EXPECT_NEAR(sx, 100, 1e-3);
  EXPECT_NEAR(sy, 50, 1e-3);
  v.zoom_at(0, 0, 1e6f);
  EXPECT_FLOAT_EQ(v.zoom, ViewTransform::kMaxZoom);
}

TEST(ViewTransform, FitCentresTheAtlas) {
  ViewTransform v;
  v.fit(200, 100, 400, 400);
  EXPECT_FLOAT_EQ(v.zoom, 2.f);
  float ax, ay;
  v.screen_to_atlas(200, 200, ax, ay);  // view centre shows the atlas centre
  EXPECT_NEAR(ax, 100, 1e-4);
  EXPECT_NEAR(ay, 50, 1e-4);
  v.pan_by_screen(20, 0);  // dragging right moves the content right: the atlas origin moves left
  v.screen_to_atlas(200, 200, ax, ay);
  EXPECT_NEAR(ax, 90, 1e-4);
}
