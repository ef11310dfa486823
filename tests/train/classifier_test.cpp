#include "engine/train/classifier_training.h"
#include "engine/train/classifier_metrics.h"
#include "models/checkpoint/safetensors.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace ebm::train {
namespace {

namespace fs = std::filesystem;

TEST(Classifier, GradeArithmeticOnPlantedPredictions) {
  CubesPrediction p;
  p.pos = torch::tensor({{0.0f, 0.0f}, {0.3f, 0.4f}});
  p.size = torch::tensor({0.5f, 0.3f});
  p.shape_logits = torch::tensor({{5.f, 0.f, 0.f}, {0.f, 0.f, 5.f}});
  p.color_logits = torch::zeros({2, 20});
  p.color_logits.index_put_({0, 7}, 3.f);
  p.color_logits.index_put_({1, 2}, 3.f);
  auto pos = grade_concept(p, data::CubesConcept::Position, torch::zeros({2, 2}));
  EXPECT_NEAR(pos[1].item<double>(), 0.5, 1e-6);  // 3-4-5 triangle
  auto size = grade_concept(p, data::CubesConcept::Size, torch::tensor({{0.45f}, {0.4f}}));
  EXPECT_NEAR(size[0].item<double>(), 0.05, 1e-6);
  EXPECT_NEAR(size[1].item<double>(), 0.1, 1e-6);
  auto shape = grade_concept(p, data::CubesConcept::Shape, torch::tensor({{1.f, 0.f, 0.f}, {1.f, 0.f, 0.f}}));
  EXPECT_EQ(shape[0].item<double>(), 1.0);
  EXPECT_EQ(shape[1].item<double>(), 0.0);
  auto col = grade_concept(p, data::CubesConcept::Color, torch::one_hot(torch::tensor({7L, 3L}), 20));
  EXPECT_EQ(col.sum().item<double>(), 1.0);
}

// A grader small and short enough for CI: 8 filters, batches of 8, 16 held-out renders.
ClassifierTrainOptions tiny_run(const fs::path& out, int64_t iters) {
  ClassifierTrainOptions o;
  o.out = out.string();
  o.device = "cpu";
  o.iters = iters;
  o.batch = 8;
  o.num_filters = 8;
  o.heldout = 16;
  o.log_every = 5;
  o.progress_bar = false;
  return o;
}

TEST(Classifier, TinyTrainingLowersTheLossAndSavesALoadableGrader) {
  const auto path = fs::temp_directory_path() / ("ebm_classifier_test_" + std::to_string(::getpid()) + ".safetensors");
  ClassifierTrainOptions o = tiny_run(path, 30);
  auto r = train_classifier(o);
  ASSERT_EQ(r.losses.size(), 6u);
  EXPECT_LT(r.losses.back(), r.losses.front());
  EXPECT_EQ(r.heldout.n, 16);
  nlohmann::json held;
  auto c = load_classifier(o.out, &held);
  EXPECT_EQ(held.value("iterations", 0), 30);
  EXPECT_NEAR(held.value("position_error", -1.0), r.heldout.position_error, 1e-9);
  auto x = torch::rand({2, 3, 64, 64});
  auto p = c->forward(x);
  EXPECT_EQ(p.color_logits.sizes(), (std::vector<int64_t>{2, 20}));
  // The default grader counts, and its count figures travel in the file.
  EXPECT_EQ(c->config().layout, ClassifierLayout::Coord);
  EXPECT_EQ(p.count_logits.sizes(), (std::vector<int64_t>{2, 3}));
  for (const char* k : {"count_accuracy_empty", "count_accuracy_one", "count_accuracy_two"}) {
    ASSERT_TRUE(held.contains(k)) << k;
    EXPECT_GE(held[k].get<double>(), 0.0);
    EXPECT_LE(held[k].get<double>(), 1.0);
  }
  fs::remove(path);
  EXPECT_THROW(load_classifier(o.out), std::exception);
  o.batch = 1;
  EXPECT_THROW(train_classifier(o), std::invalid_argument);
}

TEST(Classifier, AContinuationStartsFromTheFileKeepsItsWidthAndCountsItsIterationsOn) {
  const auto dir = fs::temp_directory_path() / ("ebm_classifier_cont_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const ClassifierTrainOptions o = tiny_run(dir / "first.safetensors", 20);
  auto first = train_classifier(o);
  ClassifierTrainOptions c = o;
  c.out = (dir / "second.safetensors").string();
  c.init_from = o.out;
  c.num_filters = 16;  // ignored: the file's width is kept
  c.iters = 10;
  c.lr = 1e-4;
  auto second = train_classifier(c);
  nlohmann::json held;
  auto net = load_classifier(c.out, &held);
  EXPECT_EQ(net->config().num_filters, 8);
  EXPECT_EQ(held.value("iterations", 0), 30);
  EXPECT_EQ(held.value("iterations_this_run", 0), 10);
  EXPECT_EQ(held.value("init_from", std::string()), o.out);
  // It starts where the first run ended: its first losses are those of a trained grader, not a fresh one.
  EXPECT_LT(second.losses.front(), first.losses.front());
  c.init_from = (dir / "missing.safetensors").string();
  EXPECT_THROW(train_classifier(c), std::exception);
  fs::remove_all(dir);
}

// Zero iterations from a file re-measure it: the weights come back bit for bit, the held-out figures
// are those of the renders asked for (as many two-object scenes and empty floors as one-object ones),
// and the file's iteration count is unchanged. Without a file to measure, zero iterations is refused.
TEST(Classifier, ZeroIterationsReMeasureASavedGraderAndKeepItsWeights) {
  const auto dir = fs::temp_directory_path() / ("ebm_classifier_measure_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const ClassifierTrainOptions o = tiny_run(dir / "trained.safetensors", 10);
  train_classifier(o);
  ClassifierTrainOptions m = o;
  m.out = (dir / "measured.safetensors").string();
  m.init_from = o.out;
  m.iters = 0;
  m.heldout = 40;
  auto r = train_classifier(m);
  EXPECT_EQ(r.iterations, 0);
  EXPECT_TRUE(r.losses.empty());
  EXPECT_EQ(r.heldout.n, 40);
  EXPECT_EQ(r.heldout.n_count, 40);
  nlohmann::json held;
  load_classifier(m.out, &held);
  EXPECT_EQ(held.value("iterations", 0), 10);
  EXPECT_EQ(held.value("iterations_this_run", -1), 0);
  EXPECT_EQ(held.value("n", 0), 40);
  EXPECT_EQ(held.value("n_count", 0), 40);
  const TensorMap before = read_safetensors(o.out).tensors, after = read_safetensors(m.out).tensors;
  ASSERT_EQ(before.size(), after.size());
  for (const auto& [name, t] : before) {
    ASSERT_TRUE(after.count(name)) << name;
    EXPECT_TRUE(torch::equal(t, after.at(name))) << name;
  }
  m.init_from.clear();
  try {
    train_classifier(m);
    ADD_FAILURE() << "zero iterations without --init-from must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--init-from"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(Classifier, FilesOfTheFirstGraderLoadWithTheSpatialMeanAndNoCount) {
  const auto path = fs::temp_directory_path() / ("ebm_classifier_old_" + std::to_string(::getpid()) + ".safetensors");
  CubesClassifier old(ClassifierConfig{8, ClassifierLayout::Mean});
  TensorMap t;
  for (const auto& kv : old->named_parameters()) t[kv.key()] = kv.value().detach().clone();
  // As the first grader wrote it: no "layout" in its config.
  write_safetensors(path.string(), t, Metadata{{kClassifierConfigKey, R"({"num_filters":8})"}});
  auto c = load_classifier(path.string());
  EXPECT_EQ(c->config().layout, ClassifierLayout::Mean);
  auto p = c->forward(torch::rand({3, 3, 64, 64}));
  EXPECT_FALSE(p.has_count());
  EXPECT_EQ(p.pos.sizes(), (std::vector<int64_t>{3, 2}));
  // A coord grader's file names its layout and loads as one.
  CubesClassifier coord(ClassifierConfig{8, ClassifierLayout::Coord});
  save_classifier(path.string(), *coord);
  EXPECT_EQ(load_classifier(path.string())->config().layout, ClassifierLayout::Coord);
  fs::remove(path);
  EXPECT_THROW(classifier_layout_from_string("max"), std::invalid_argument);
}

}  // namespace
}  // namespace ebm::train
