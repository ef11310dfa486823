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

}  // namespace
}  // namespace ebm::train
