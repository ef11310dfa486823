// The grading classifier shipped in assets/models: loaded as `ebm eval` loads it, it grades fresh
// renders (a seed neither its training nor its held-out set used, with the pixel noise it was trained
// with) at the figures its file states — so the numbers of the model card rest on a ruler whose
// precision is checked in CI, not only read from its metadata.
#include "engine/data/cubes_renderer.h"
#include "engine/data/cubes_scene.h"
#include "engine/data/pair_visibility.h"
#include "engine/eval/eval_sampling.h"
#include "engine/eval/grade_table.h"
#include "engine/train/classifier_metrics.h"
#include "models/cubes_classifier.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <filesystem>

namespace ebm::eval {
namespace {

namespace fs = std::filesystem;
using data::CubesConcept;

const fs::path kGrader = fs::path(EBM_ASSETS_DIR) / "models" / "classifier.safetensors";
constexpr uint64_t kFreshSeed = 424242;  // not 2·seed+1 (training) nor 2·seed+2 (held-out) of seed 1
constexpr int64_t kN = 256;

struct ShippedGrader : ::testing::Test {
  nlohmann::json held;
  CubesClassifier grader{nullptr};
  data::CubesRenderer renderer;
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kGrader)) << kGrader;
    grader = load_classifier(kGrader.string(), &held);
    torch::manual_seed(kFreshSeed);
  }
  // Renders with the training noise: std U(0, noise_max) per image.
  torch::Tensor noisy(const torch::Tensor& x) const {
    const double noise_max = held.value("noise_max", 0.05);
    auto std = torch::rand({x.size(0), 1, 1, 1}) * noise_max;
    return (x + std * torch::randn_like(x)).clamp(0, 1);
  }
};

TEST_F(ShippedGrader, CountsAndStatesItsHeldOutFigures) {
  EXPECT_EQ(grader->config().layout, ClassifierLayout::Coord);
  for (const char* k : {"position_error", "size_error", "shape_accuracy", "color_accuracy", "count_accuracy_empty",
                        "count_accuracy_one", "count_accuracy_two", "count_accuracy_two_visible", "n_count", "iterations",
                        "noise_max"})
    EXPECT_TRUE(held.contains(k)) << "the shipped grader's metadata lacks " << k;
}

TEST_F(ShippedGrader, GradesFreshRendersAtItsStatedFigures) {
  auto gen = at::detail::createCPUGenerator(kFreshSeed);
  const auto scenes = data::sample_scenes(kN, gen);
  torch::NoGradGuard no_grad;
  const auto images = noisy(renderer.render(scenes));
  data::SceneSampling two;
  two.num_objects = 2;
  const auto pairs = data::sample_scenes(64, gen, two);
  const auto twos = noisy(renderer.render(pairs));
  const auto countable = data::least_visible_share(renderer, pairs) >= data::kCountableVisibleShare;
  const auto empty = noisy(renderer.render_floor(64));
  const auto m = train::evaluate_classifier(*grader, scenes, images, empty, twos, countable);
  // 256 renders against the file's 1,024: margins of a few standard errors.
  EXPECT_LE(m.position_error, held["position_error"].get<double>() + 0.015);
  EXPECT_LE(m.size_error, held["size_error"].get<double>() + 0.004);
  EXPECT_GE(m.shape_accuracy, held["shape_accuracy"].get<double>() - 0.02);
  EXPECT_GE(m.color_accuracy, held["color_accuracy"].get<double>() - 0.02);
  EXPECT_GE(m.count_accuracy_empty, held["count_accuracy_empty"].get<double>() - 0.03);
  EXPECT_GE(m.count_accuracy_one, held["count_accuracy_one"].get<double>() - 0.02);
  EXPECT_GE(m.count_accuracy_two, held["count_accuracy_two"].get<double>() - 0.08);
  // Pairs a reader can count (both objects at least half visible): issue #28's bound of 99.5 %.
  ASSERT_TRUE(held.contains("count_accuracy_two_visible"));
  EXPECT_GE(held["count_accuracy_two_visible"].get<double>(), 0.995);
  EXPECT_GT(m.n_two_visible, 48);
  EXPECT_GE(m.count_accuracy_two_visible, held["count_accuracy_two_visible"].get<double>() - 0.04);
}

// A grid of renders that all carry one target label (the rest of each scene random), graded the way
// `ebm eval` grades samples: renders of the label meet it about as often as the grader is right.
TEST_F(ShippedGrader, ARenderGridMeetsItsOwnLabelsThroughTheEvalArithmetic) {
  auto gen = at::detail::createCPUGenerator(kFreshSeed + 1);
  const std::vector<std::pair<CubesConcept, std::vector<float>>> targets = {
      {CubesConcept::Position, {0.4f, -0.5f}},
      {CubesConcept::Size, {0.45f}},
      {CubesConcept::Shape, {0.f, 0.f, 1.f}},
      {CubesConcept::Color, [] {
         std::vector<float> v(20, 0.f);
         v[7] = 1.f;
         return v;
       }()}};
  torch::NoGradGuard no_grad;
  for (const auto& [concept, label] : targets) {
    auto scenes = data::sample_scenes(64, gen);
    auto lab = torch::tensor(label).unsqueeze(0).expand({64, static_cast<int64_t>(label.size())});
    data::apply_concept_labels(scenes.first, concept, lab);
    const auto pred = classify(*grader, noisy(renderer.render(scenes)), 32);
    GradeTarget t;
    t.term = t.model = data::to_string(concept);
    t.concept = concept;
    t.label = label;
    const auto table = grade(t.term, pred, {t});
    EXPECT_NEAR(table.objects_found, 1.0, 1e-9) << t.term;
    EXPECT_NEAR(table.multiple_objects, 0.0, 1e-9) << t.term;
    switch (concept) {
      case CubesConcept::Position:
        EXPECT_LE(table.rows[0].value, held["position_error"].get<double>() + 0.03) << t.term;
        break;
      case CubesConcept::Size:
        EXPECT_LE(table.rows[0].value, held["size_error"].get<double>() + 0.008) << t.term;
        EXPECT_GE(table.all_met, 0.95) << t.term;
        break;
      default:
        EXPECT_GE(table.all_met, 0.97) << t.term;
    }
  }
}

}  // namespace
}  // namespace ebm::eval
