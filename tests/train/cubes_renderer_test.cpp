#include "engine/data/cubes_renderer.h"
#include "engine/data/pair_visibility.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

namespace ebm::data {
namespace {

// Scenes with every attribute fixed, `n` copies; tests then vary one field.
CubesScenes fixed_scenes(int64_t n, float x = 0, float y = 0, float size = 0.5f, int64_t shape = 1, int64_t color = 0) {
  CubesObjects o;
  o.pos = torch::tensor({x, y}).repeat({n, 1});
  o.size = torch::full({n}, size);
  o.shape = torch::full({n}, shape, torch::kLong);
  o.color = torch::full({n}, color, torch::kLong);
  return {o, std::nullopt};
}

RenderOptions no_shadow() {
  RenderOptions o;
  o.shadow_samples = 0;  // object pixels are then exactly the ones that differ from the floor
  return o;
}

// [B,H,W] bool: pixels that differ from the empty floor.
torch::Tensor object_mask(const CubesRenderer& r, const torch::Tensor& img) {
  auto floor = r.render_floor(img.size(0));
  return (img - floor).abs().sum(1) > 0.05;
}

// [B,2] (column, row) centroid of the object pixels.
torch::Tensor centroid(const torch::Tensor& mask) {
  const auto H = mask.size(1), W = mask.size(2);
  auto m = mask.to(torch::kFloat);
  auto cols = torch::arange(W, torch::kFloat).add(0.5).view({1, 1, W});
  auto rows = torch::arange(H, torch::kFloat).add(0.5).view({1, H, 1});
  auto area = m.sum({1, 2});
  return torch::stack({(m * cols).sum({1, 2}) / area, (m * rows).sum({1, 2}) / area}, 1);
}

TEST(CubesRenderer, SameSeedSameImagesOtherSeedOtherImages) {
  CubesRenderer r;
  auto a = r.render(sample_scenes(4, at::detail::createCPUGenerator(11)));
  auto b = r.render(sample_scenes(4, at::detail::createCPUGenerator(11)));
  auto c = r.render(sample_scenes(4, at::detail::createCPUGenerator(12)));
  ASSERT_EQ(a.sizes(), (std::vector<int64_t>{4, 3, 64, 64}));
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_GT((a - c).abs().max().item<float>(), 0.1f);
  EXPECT_GE(a.min().item<float>(), 0.f);
  EXPECT_LE(a.max().item<float>(), 1.f);
}

TEST(CubesRenderer, ObjectCentroidFollowsThePositionLabel) {
  CubesRenderer r(no_shadow());
  const std::vector<float> xs{-0.9f, -0.3f, 0.3f, 0.9f};
  auto sx = fixed_scenes(4);
  sx.first.pos = torch::stack({torch::tensor(xs), torch::zeros({4})}, 1);
  auto cx = centroid(object_mask(r, r.render(sx)));
  auto sy = fixed_scenes(4);
  sy.first.pos = torch::stack({torch::zeros({4}), torch::tensor(xs)}, 1);
  auto cy = centroid(object_mask(r, r.render(sy)));
  for (int i = 1; i < 4; ++i) {
    EXPECT_GT(cx[i][0].item<float>(), cx[i - 1][0].item<float>() + 4) << "x label " << xs[i];
    // +y is away from the camera: higher in the image, i.e. a smaller row.
    EXPECT_LT(cy[i][1].item<float>(), cy[i - 1][1].item<float>() - 3) << "y label " << xs[i];
  }
  // The centroid sits where the camera projects the sphere's centre (within 1.5 px).
  for (int i = 0; i < 4; ++i) {
    auto c = CubesRenderer::object_center(xs[i], 0, 0.5, 1);
    auto p = r.project(c[0], c[1], c[2]);
    EXPECT_NEAR(cx[i][0].item<float>(), p[0], 1.5);
    EXPECT_NEAR(cx[i][1].item<float>(), p[1], 1.5);
  }
}

TEST(CubesRenderer, SizeLabelOrdersObjectArea) {
  CubesRenderer r(no_shadow());
  for (int64_t shape = 0; shape < kNumShapes; ++shape) {
    auto s = fixed_scenes(5, 0.2f, -0.1f, 0.5f, shape);
    s.first.size = torch::tensor({0.3f, 0.4f, 0.5f, 0.6f, 0.7f});
    auto area = object_mask(r, r.render(s)).sum({1, 2});
    EXPECT_GT(area[0].item<int64_t>(), 60) << "the smallest object must still be clearly visible";
    for (int i = 1; i < 5; ++i) EXPECT_GT(area[i].item<int64_t>(), area[i - 1].item<int64_t>()) << "shape " << shape;
  }
}

TEST(CubesRenderer, EachColourLabelShowsItsPaletteColourOnTheLitTopFace) {
  CubesRenderer r;
  auto s = fixed_scenes(kNumColors, 0.f, 0.f, 0.6f, /*shape=box*/ 0);
  s.first.color = torch::arange(kNumColors, torch::kLong);
  auto img = r.render(s);
  auto c = CubesRenderer::object_center(0, 0, 0.6, 0);
  auto p = r.project(c[0], c[1], 2 * c[2]);  // centre of the top face
  const auto col = static_cast<int64_t>(p[0]), row = static_cast<int64_t>(p[1]);
  auto top = img.index({torch::indexing::Slice(), torch::indexing::Slice(), row, col});  // [20,3]
  auto pal = cubes_palette();
  EXPECT_LT((top - pal).abs().max().item<float>(), 1.5f / 255.f);
}

TEST(CubesRenderer, ShapesLookDifferentAndShadowsDarkenTheFloor) {
  CubesRenderer r;
  auto s = fixed_scenes(3, 0.f, 0.f, 0.6f);
  s.first.shape = torch::tensor({0L, 1L, 2L});
  auto img = r.render(s);
  EXPECT_GT((img[0] - img[1]).abs().sum().item<float>(), 20.f);
  EXPECT_GT((img[1] - img[2]).abs().sum().item<float>(), 20.f);
  // Some floor pixels are darker than the lit floor: a shadow exists.
  auto floor = r.render_floor(3);
  EXPECT_LT((img - floor).min().item<float>(), -0.15f);
}

TEST(CubesRenderer, TwoObjectScenesShowBothObjects) {
  CubesRenderer r(no_shadow());
  SceneSampling two;
  two.num_objects = 2;
  auto s = sample_scenes(8, at::detail::createCPUGenerator(3), two);
  ASSERT_TRUE(s.second.has_value());
  auto one = s;
  one.second.reset();
  auto a1 = object_mask(r, r.render(one)).sum({1, 2});
  auto a2 = object_mask(r, r.render(s)).sum({1, 2});
  EXPECT_TRUE((a2 >= a1).all().item<bool>());
  EXPECT_GT((a2 - a1).sum().item<int64_t>(), 8 * 40);
}

// A pair side by side shows both objects whole; a small sphere on the far side of a large box
// (+y is away from the camera) hides behind it: the visible share says which pair a reader can count.
TEST(PairVisibility, SideBySideIsWholeAndBehindALargeBoxIsHidden) {
  CubesRenderer r;
  CubesScenes side = fixed_scenes(1, -0.6f, 0.f, 0.4f, 0);
  side.second = fixed_scenes(1, 0.6f, 0.f, 0.4f, 1, 5).first;
  CubesScenes behind = fixed_scenes(1, 0.f, -0.8f, 0.7f, 0);
  behind.second = fixed_scenes(1, 0.f, 0.8f, 0.3f, 1, 5).first;
  const auto whole = least_visible_share(r, side), hidden = least_visible_share(r, behind);
  std::cout << "visible share: side by side " << whole.item<float>() << ", behind a large box " << hidden.item<float>() << "\n";
  EXPECT_GT(whole.item<float>(), 0.9f);
  EXPECT_LT(hidden.item<float>(), 0.3f);
  EXPECT_THROW(least_visible_share(r, fixed_scenes(1)), std::invalid_argument);
}

TEST(CubesRenderer, BadScenesAreRejectedWithAClearMessage) {
  CubesRenderer r;
  auto s = fixed_scenes(2);
  s.first.size = torch::tensor({0.5f, 2.0f});
  try {
    r.render(s);
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("size"), std::string::npos) << e.what();
  }
  auto t = fixed_scenes(2);
  t.first.shape = torch::tensor({0L, 5L});
  EXPECT_THROW(r.render(t), std::invalid_argument);
  EXPECT_THROW(cubes_concept_from_string("texture"), std::invalid_argument);
}

TEST(CubesScenes, LabelsMatchTheOriginalLayout) {
  auto s = sample_scenes(6, at::detail::createCPUGenerator(5));
  EXPECT_EQ(concept_labels(s.first, CubesConcept::Position).sizes(), (std::vector<int64_t>{6, 2}));
  EXPECT_EQ(concept_labels(s.first, CubesConcept::Size).sizes(), (std::vector<int64_t>{6, 1}));
  auto shape = concept_labels(s.first, CubesConcept::Shape);
  auto color = concept_labels(s.first, CubesConcept::Color);
  EXPECT_EQ(shape.size(1), 3);
  EXPECT_EQ(color.size(1), 20);
  EXPECT_TRUE(torch::equal(shape.sum(1), torch::ones({6})));
  EXPECT_TRUE(torch::equal(color.argmax(1), s.first.color));
  // apply_concept_labels inverts concept_labels.
  CubesObjects o = sample_scenes(6, at::detail::createCPUGenerator(9)).first;
  apply_concept_labels(o, CubesConcept::Color, color);
  apply_concept_labels(o, CubesConcept::Position, concept_labels(s.first, CubesConcept::Position));
  EXPECT_TRUE(torch::equal(o.color, s.first.color));
  EXPECT_TRUE(torch::allclose(o.pos, s.first.pos));
}

}  // namespace
}  // namespace ebm::data
