#include "engine/data/cubes_renderer.h"
#include "engine/train/quick_grade.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

namespace ebm::train {
namespace {

TEST(QuickGrade, ReadsPositionAndColourOfRealRenders) {
  auto scenes = data::sample_scenes(48, at::detail::createCPUGenerator(21));
  auto img = data::CubesRenderer().render(scenes);
  auto pos = quick_grade(img, data::concept_labels(scenes.first, data::CubesConcept::Position), data::CubesConcept::Position);
  EXPECT_EQ(pos.found, 1.0);
  EXPECT_LT(pos.position_error, 0.06);
  auto col = quick_grade(img, data::concept_labels(scenes.first, data::CubesConcept::Color), data::CubesConcept::Color);
  EXPECT_GE(col.color_accuracy, 0.95);
}

TEST(QuickGrade, WrongLabelsAndEmptyFloorsGradeBadly) {
  auto scenes = data::sample_scenes(32, at::detail::createCPUGenerator(22));
  auto img = data::CubesRenderer().render(scenes);
  auto shuffled = data::concept_labels(scenes.first, data::CubesConcept::Position).flip(0);
  EXPECT_GT(quick_grade(img, shuffled, data::CubesConcept::Position).position_error, 0.4);
  auto floor = data::CubesRenderer().render_floor(4);
  auto g = quick_grade(floor, torch::zeros({4, 2}), data::CubesConcept::Position);
  EXPECT_EQ(g.found, 0.0);
  EXPECT_EQ(g.position_error, 2.0);
  EXPECT_TRUE(torch::isnan(read_positions(floor)).all().item<bool>());
  // Noise is not an object.
  EXPECT_EQ(quick_grade(torch::rand({4, 3, 64, 64}), torch::zeros({4, 2}), data::CubesConcept::Position).found, 0.0);
}

// An empty floor with a few hundred off-colour pixels scattered over it (what a half-trained
// sampler leaves) is not an object; the same pixels gathered into one patch are.
TEST(QuickGrade, ScatteredOffColourPixelsAreNotAnObject) {
  auto floor = data::CubesRenderer().render_floor(2);
  const auto red = torch::tensor({0.9f, 0.1f, 0.1f}).view({3, 1});
  auto gen = at::detail::createCPUGenerator(23);
  auto idx = torch::randperm(64 * 64, gen).slice(0, 0, 300);
  auto scattered = floor[0].reshape({3, -1}).clone();
  scattered.index_put_({torch::indexing::Slice(), idx}, red.expand({3, 300}));
  auto patch = floor[1].clone();
  patch.slice(1, 20, 35).slice(2, 30, 50).copy_(red.view({3, 1, 1}).expand({3, 15, 20}));
  auto img = torch::stack({scattered.view({3, 64, 64}), patch});
  auto found = quick_grade(img.slice(0, 0, 1), torch::zeros({1, 2}), data::CubesConcept::Position).found;
  EXPECT_EQ(found, 0.0);
  EXPECT_EQ(quick_grade(img.slice(0, 1, 2), torch::zeros({1, 2}), data::CubesConcept::Position).found, 1.0);
}

}  // namespace
}  // namespace ebm::train
