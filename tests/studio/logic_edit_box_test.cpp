// The Read panel's edit box (issue #29): a dragged rectangle, in fractions of the image, becomes the
// edit's region — 1 on the pixels whose centres lie inside, whichever way it was dragged.
#include "app/studio/edit_box.h"
#include "app/studio/ui_state.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace ebm::studio;

TEST(EditBox, ADragEitherWayGivesTheSameBoxClampedToTheImage) {
  const EditBox up_left{0.8f, 0.9f, 0.2f, -0.3f};  // dragged from bottom right to above the image
  const EditBox b = up_left.normalized();
  EXPECT_FLOAT_EQ(b.x0, 0.2f);
  EXPECT_FLOAT_EQ(b.x1, 0.8f);
  EXPECT_FLOAT_EQ(b.y0, 0.f);
  EXPECT_FLOAT_EQ(b.y1, 0.9f);
  EXPECT_EQ(b.describe(), "x 0.20-0.80, y 0.00-0.90");
}

TEST(EditBox, TheRegionHoldsThePixelsWhoseCentresLieInside) {
  // On 8 pixels, [0.25, 0.75) holds the centres 2.5 … 5.5: pixels 2 to 5.
  const torch::Tensor r = region_of_box(EditBox{0.25f, 0.f, 0.75f, 0.5f}, 8, 8);
  ASSERT_EQ(r.sizes(), (std::vector<int64_t>{1, 8, 8}));
  EXPECT_EQ(r.sum().item<float>(), 4.f * 4.f);
  EXPECT_EQ(r[0][0][2].item<float>(), 1.f);
  EXPECT_EQ(r[0][0][1].item<float>(), 0.f);
  EXPECT_EQ(r[0][3][5].item<float>(), 1.f);
  EXPECT_EQ(r[0][4][5].item<float>(), 0.f);
  EXPECT_TRUE(torch::equal(r, region_of_box(EditBox{0.75f, 0.5f, 0.25f, 0.f}, 8, 8)));
  // A non-square image: the fractions are of each side.
  EXPECT_EQ(region_of_box(EditBox{0.f, 0.f, 1.f, 0.5f}, 4, 10).sum().item<float>(), 2.f * 10.f);
}

TEST(EditBox, ABoxThatCoversNoPixelIsRefusedSayingWhatToDo) {
  const EditBox thin{0.5f, 0.1f, 0.52f, 0.9f};  // narrower than a pixel's centre spacing on 8 px
  EXPECT_FALSE(thin.covers_a_pixel(8));
  EXPECT_TRUE(thin.covers_a_pixel(256));
  try {
    region_of_box(thin, 8, 8);
    FAIL() << "a box over no pixel was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("covers no pixel"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("larger box"), std::string::npos) << e.what();
  }
}

TEST(EditBox, TickingTheBoxStartsTheEditAtSigmaOneAndUntickingAtPointEight) {
  ReadSettings rs;
  EXPECT_FALSE(rs.use_box);
  EXPECT_FLOAT_EQ(rs.sigma, 0.8f);
  rs.set_use_box(true);
  EXPECT_FLOAT_EQ(rs.sigma, 1.0f);  // the box redrawn from noise, the rest held
  rs.sigma = 0.6f;                   // the user's own value stays while the mode does
  rs.set_use_box(true);
  EXPECT_FLOAT_EQ(rs.sigma, 0.6f);
  rs.set_use_box(false);
  EXPECT_FLOAT_EQ(rs.sigma, 0.8f);
  EXPECT_FALSE(rs.use_box);
}
