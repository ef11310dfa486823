#include "engine/image/image_io.h"
#include "models/checkpoint/atomic_file.h"
#include "tests/checkpoint/test_util.h"

using namespace ebm;
using ebm::test::TempDir;

TEST(ImageIo, RoundTripIsExactOn8BitValues) {
  TempDir d;
  auto img = torch::randint(0, 256, {1, 3, 5, 7}).to(torch::kFloat32) / 255.0f;
  save_png(d.file("a.png"), img);
  const auto back = load_png(d.file("a.png"));
  EXPECT_EQ(back.sizes(), img.sizes());
  EXPECT_EQ(back.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(back, img));
}

TEST(ImageIo, GrayAndAlphaBecomeRgb) {
  TempDir d;
  auto gray = torch::linspace(0, 1, 12).reshape({1, 3, 4});
  save_png(d.file("g.png"), gray);
  auto rgb = load_png(d.file("g.png"));
  ASSERT_EQ(rgb.sizes(), (std::vector<int64_t>{1, 3, 3, 4}));
  EXPECT_TRUE(torch::equal(rgb[0][0], rgb[0][2]));
  auto rgba = torch::rand({4, 2, 2});
  save_png(d.file("rgba.png"), rgba);
  EXPECT_EQ(load_png(d.file("rgba.png")).size(1), 3);
  EXPECT_EQ(load_png(d.file("rgba.png"), 1).size(1), 1);
}

TEST(ImageIo, ClampsAndHandlesNaN) {
  auto t = torch::tensor({-1.0f, 2.0f, std::nanf(""), 0.5f}).reshape({1, 2, 2});
  TempDir d;
  save_png(d.file("c.png"), t);
  auto back = load_png(d.file("c.png"), 1);
  EXPECT_FLOAT_EQ(back.flatten()[0].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(back.flatten()[1].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(back.flatten()[2].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(back.flatten()[3].item<float>(), 128.0f / 255.0f);
}

TEST(ImageIo, BadInputsGiveClearErrors) {
  TempDir d;
  ebm::test::write_raw(d.file("not.png"), "GIF89a....");
  try {
    load_png(d.file("not.png"));
    FAIL();
  } catch (const ImageError& e) {
    EXPECT_NE(std::string(e.what()).find("not a PNG"), std::string::npos);
  }
  // A valid signature followed by garbage.
  ebm::test::write_raw(d.file("trunc.png"), encode_png(torch::rand({3, 8, 8})).substr(0, 40));
  EXPECT_THROW(load_png(d.file("trunc.png")), ImageError);
  EXPECT_THROW(load_png(d.file("missing.png")), FileError);
  EXPECT_THROW(encode_png(torch::rand({2, 4, 4})), ImageError);
  EXPECT_THROW(encode_png(torch::rand({2, 3, 4, 4})), ImageError);
}
