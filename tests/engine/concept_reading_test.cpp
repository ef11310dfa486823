// Reading images into concepts (engine/infer/concept_reading.h) on planted energies whose
// minimisers are known: the one-hot scoring order, the continuous descent and its range clamp, the
// denoising criterion, and the errors.
#include "engine/infer/concept_reading.h"
#include "tests/support/cpu_bytes_peak.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>

namespace ebm {
namespace {

constexpr int kSize = 8;

ModelInfo info_with(const LabelSchema& schema, bool denoising = false) {
  ModelInfo info;
  info.image_size = kSize;
  info.label_size = schema.size();
  info.schema = schema;
  info.denoising = denoising;
  return info;
}

// A constant image of colour (r, g, b).
torch::Tensor flat(float r, float g, float b) {
  return torch::tensor({r, g, b}).view({1, 3, 1, 1}).expand({1, 3, kSize, kSize}).clone();
}

// Shape classes as three colour templates: E(x | c) = Σ_k c_k·‖x − t_k‖².
const std::vector<std::vector<float>> kTemplates = {{0.9f, 0.1f, 0.1f}, {0.1f, 0.9f, 0.1f}, {0.1f, 0.1f, 0.9f}};
torch::Tensor templates() {
  std::vector<torch::Tensor> t;
  for (const auto& c : kTemplates) t.push_back(flat(c[0], c[1], c[2]));
  return torch::cat(t);  // [3,3,H,W]
}

std::shared_ptr<EnergyModel> template_model() {
  return std::make_shared<FunctionModel>(
      [](const torch::Tensor& x, const torch::Tensor& label) {
        auto d = (x.unsqueeze(1) - templates().unsqueeze(0)).square().flatten(2).sum(2);  // [B,3]
        return (label * d).sum(1);
      },
      info_with(LabelSchema::cubes_shape()));
}

// Position read off the image: c*(x) = 2·(mean of channels 0, 1) − 1 (times `scale`), and
// E(x | c) = ‖c − c*(x)‖².
std::shared_ptr<EnergyModel> position_model(float scale = 1.f) {
  return std::make_shared<FunctionModel>(
      [scale](const torch::Tensor& x, const torch::Tensor& label) {
        auto target = (x.narrow(1, 0, 2).mean({2, 3}) * 2 - 1) * scale;
        return (label - target).square().sum(1);
      },
      info_with(LabelSchema::cubes_position()));
}

TEST(ConceptReading, OneHotConceptsScoreEveryClass) {
  auto m = template_model();
  auto x = torch::cat({flat(0.8f, 0.2f, 0.1f), flat(0.1f, 0.2f, 0.8f)});
  ReadOptions o;
  const auto r = read_concept(*m, x, o);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].label, (std::vector<float>{1.f, 0.f, 0.f}));
  EXPECT_EQ(r[1].label, (std::vector<float>{0.f, 0.f, 1.f}));
  // The scores are the energies of each class, and the margin the gap to the second best.
  ASSERT_EQ(r[0].class_scores.size(), 3u);
  const auto d = (x[0].unsqueeze(0) - templates()).square().flatten(1).sum(1);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(r[0].class_scores[static_cast<size_t>(k)], d[k].item<double>(), 1e-4);
  std::vector<double> sorted = r[0].class_scores;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_NEAR(r[0].margin, sorted[1] - sorted[0], 1e-6);
  EXPECT_EQ(r[0].describe(LabelSchema::cubes_shape()), "box");
  EXPECT_EQ(r[1].describe(LabelSchema::cubes_shape()), "cylinder");
}

TEST(ConceptReading, ContinuousConceptsDescendToTheMinimiser) {
  auto m = position_model();
  // c* = (2·0.7 − 1, 2·0.2 − 1) = (0.4, −0.6) and (−0.76, 0.5): off the 9×9 grid's points.
  auto x = torch::cat({flat(0.7f, 0.2f, 0.5f), flat(0.12f, 0.75f, 0.5f)});
  ReadOptions o;
  o.steps = 150;
  const auto r = read_concept(*m, x, o);
  EXPECT_NEAR(r[0].label[0], 0.4f, 0.01f);
  EXPECT_NEAR(r[0].label[1], -0.6f, 0.01f);
  EXPECT_NEAR(r[1].label[0], -0.76f, 0.01f);
  EXPECT_NEAR(r[1].label[1], 0.5f, 0.01f);
  EXPECT_LT(r[0].score, 1e-3);
  EXPECT_GT(r[0].margin, 0.05);  // every point a quarter of the range away is clearly worse
  EXPECT_EQ(r[0].describe(LabelSchema::cubes_position()).front(), '(');
  nlohmann::json j = r[0];
  EXPECT_EQ(j["label"].size(), 2u);
  EXPECT_FALSE(j.contains("class_scores"));
}

// The descent's gradient is taken one chunk of rows at a time, so the memory a read needs does not
// grow with the number of images (the whole read's graph at once outgrew an H200 for 64 renders).
TEST(ConceptReading, TheDescentsMemoryDoesNotGrowWithTheImages) {
  // position_model's energy through a wide intermediate (64 copies of the image per row), as a
  // network's activations are: what the descent's graph holds per row.
  auto m = std::make_shared<FunctionModel>(
      [](const torch::Tensor& x, const torch::Tensor& label) {
        auto wide = x.narrow(1, 0, 2).repeat({1, 64, 1, 1}) * (1 + label.sum(1).view({-1, 1, 1, 1}) * 1e-6);
        auto target = wide.view({x.size(0), 64, 2, kSize, kSize}).mean({1, 3, 4}) * 2 - 1;
        return (label - target).square().sum(1);
      },
      info_with(LabelSchema::cubes_position()));
  ReadOptions o;
  o.chunk = 8;
  o.steps = 3;
  const auto peak_for = [&](int64_t n) {
    const auto x = flat(0.7f, 0.2f, 0.5f).expand({n, 3, kSize, kSize}).clone();
    ebm::test::CpuBytesPeak counter;
    read_concept(*m, x, o);
    return counter.peak();
  };
  const std::size_t few = peak_for(4), many = peak_for(256);
  // 64× the images: their own tensors and the per-image score tables grow with them, the graph does not.
  EXPECT_LT(many, few * 16) << "4 images: " << few << " bytes at the peak, 256 images: " << many;
}

// Rows are scored each on its own, so how many go through one pass changes nothing read.
TEST(ConceptReading, TheChunkSizeChangesNothingRead) {
  auto m = position_model(0.5f);
  const auto x = torch::cat({flat(0.2f, 0.7f, 0.5f), flat(0.8f, 0.3f, 0.5f), flat(0.5f, 0.5f, 0.5f)});
  ReadOptions o;
  o.steps = 5;
  const auto whole = read_concept(*m, x, o);
  o.chunk = 7;  // neither a divisor of the 3 × 81 grid rows nor of the 3 × 4 starts
  const auto chunked = read_concept(*m, x, o);
  ASSERT_EQ(whole.size(), chunked.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    for (size_t k = 0; k < whole[i].label.size(); ++k) EXPECT_NEAR(whole[i].label[k], chunked[i].label[k], 1e-5) << i;
    EXPECT_NEAR(whole[i].score, chunked[i].score, 1e-5 * (1 + std::abs(whole[i].score))) << i;
  }
}

TEST(ConceptReading, ContinuousReadingsStayInTheSchemasRange) {
  auto m = position_model(2.f);  // c* = (1.6, −1.4): outside [−1, 1]²
  const auto r = read_concept(*m, flat(0.9f, 0.15f, 0.5f), ReadOptions{});
  EXPECT_FLOAT_EQ(r[0].label[0], 1.f);
  EXPECT_FLOAT_EQ(r[0].label[1], -1.f);
}

// A denoising toy: the data are the class templates with per-pixel std s; the exact energy of that
// data noised by σ is ½‖x − t_c‖² / (σ² + s²), so the noise prediction σ·∇E is best with the true class.
// Its energies carry a large class-dependent offset that misleads the energy rule.
class DenoisingToy : public EnergyModel {
 public:
  torch::Tensor energy(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& a, double sigma) override {
    return energy_at(x, label, a, torch::full({}, sigma));
  }
  torch::Tensor energy_at(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor&,
                          const torch::Tensor& sigma) override {
    auto d = (x.unsqueeze(1) - templates().unsqueeze(0)).square().flatten(2).sum(2);  // [B,3]
    auto offset = torch::tensor({0.f, 5000.f, 10000.f}).unsqueeze(0);                // misleading
    return (label * (0.5 * d / (sigma.square() + 0.01) - offset)).sum(1);
  }
  ModelInfo info() const override { return info_with(LabelSchema::cubes_shape(), true); }
};

TEST(ConceptReading, TheDenoisingCriterionIgnoresLabelOffsetsThatFoolTheEnergy) {
  DenoisingToy m;
  auto x = torch::cat({flat(0.9f, 0.1f, 0.1f), flat(0.1f, 0.9f, 0.1f)});  // classes 0 and 1
  ReadOptions o;
  o.levels = 3;
  o.noise_draws = 4;
  auto r = read_concept(m, x, o);  // auto: denoise for a denoising model
  EXPECT_EQ(r[0].label, (std::vector<float>{1.f, 0.f, 0.f}));
  EXPECT_EQ(r[1].label, (std::vector<float>{0.f, 1.f, 0.f}));
  EXPECT_GT(r[0].margin, 0.0);
  o.criterion = ReadCriterion::Energy;
  r = read_concept(m, x, o);
  EXPECT_EQ(r[0].label, (std::vector<float>{0.f, 0.f, 1.f}));  // the offset wins
  // The denoising rule needs σ: refused for a model without a schedule.
  o.criterion = ReadCriterion::Denoise;
  EXPECT_THROW(read_concept(*template_model(), x, o), std::invalid_argument);
}

TEST(ConceptReading, ImagesAreFittedOrRefused) {
  ModelInfo info = info_with(LabelSchema::cubes_shape());
  auto big = torch::rand({2, 3, 2 * kSize, 2 * kSize});
  auto fitted = fit_images(big, info);
  EXPECT_EQ(fitted.sizes(), (std::vector<int64_t>{2, 3, kSize, kSize}));
  // An area filter: each output pixel is the mean of its 2×2 block.
  EXPECT_NEAR(fitted[0][0][0][0].item<float>(), big[0][0].narrow(0, 0, 2).narrow(1, 0, 2).mean().item<float>(), 1e-6);
  EXPECT_THROW(fit_images(torch::rand({1, 3, kSize / 2, kSize / 2}), info), std::invalid_argument);
  EXPECT_THROW(fit_images(torch::rand({1, 1, kSize, kSize}), info), std::invalid_argument);
}

TEST(ConceptReading, ModelsWithoutAConceptAndBadOptionsAreRefused) {
  ModelInfo none;
  none.image_size = kSize;
  FunctionModel unlabelled([](const torch::Tensor& x, const torch::Tensor&) { return x.flatten(1).sum(1); }, none);
  EXPECT_THROW(read_concept(unlabelled, flat(0.5f, 0.5f, 0.5f)), std::invalid_argument);
  ReadOptions o;
  o.sigma_min = 0.6;  // above sigma_max
  EXPECT_THROW(read_concept(*template_model(), flat(0.5f, 0.5f, 0.5f), o), std::invalid_argument);
  o = ReadOptions{};
  o.starts = 0;
  EXPECT_THROW(o.validate(), std::invalid_argument);
  EXPECT_THROW(read_criterion_from_string("likelihood"), std::invalid_argument);
}

}  // namespace
}  // namespace ebm
