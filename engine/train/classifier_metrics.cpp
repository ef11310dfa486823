#include "engine/train/classifier_metrics.h"

#include <stdexcept>

namespace ebm::train {

// The classifier's heads are sized by models/cubes_classifier.h, which cannot see the data.
static_assert(kShapeClasses == data::kNumShapes, "the classifier's shape head must match the cubes shapes");
static_assert(kColorClasses == data::kNumColors, "the classifier's colour head must match the cubes colours");

torch::Tensor grade_concept(const CubesPrediction& p, data::CubesConcept concept, const torch::Tensor& labels) {
  auto lab = labels.to(p.pos.device(), torch::kFloat);
  switch (concept) {
    case data::CubesConcept::Position: return (p.pos - lab).norm(2, 1);
    case data::CubesConcept::Size: return (p.size - lab.reshape({-1})).abs();
    case data::CubesConcept::Shape: return (p.shape_logits.argmax(1) == lab.argmax(1)).to(torch::kFloat);
    case data::CubesConcept::Color: return (p.color_logits.argmax(1) == lab.argmax(1)).to(torch::kFloat);
  }
  return {};
}

void to_json(nlohmann::json& j, const ClassifierMetrics& m) {
  j = nlohmann::json{{"position_error", m.position_error},
                     {"size_error", m.size_error},
                     {"shape_accuracy", m.shape_accuracy},
                     {"color_accuracy", m.color_accuracy},
                     {"n", m.n}};
  if (m.count_accuracy_empty >= 0) j["count_accuracy_empty"] = m.count_accuracy_empty;
  if (m.count_accuracy_one >= 0) j["count_accuracy_one"] = m.count_accuracy_one;
  if (m.count_accuracy_two >= 0) j["count_accuracy_two"] = m.count_accuracy_two;
  if (m.count_accuracy_two >= 0) j["n_count"] = m.n_count;
  if (m.count_accuracy_two_visible >= 0) {
    j["count_accuracy_two_visible"] = m.count_accuracy_two_visible;
    j["n_two_visible"] = m.n_two_visible;
  }
}

namespace {

// The network over `images` a chunk at a time: held-out sets run to thousands of renders, and one
// forward pass over all of them would hold every layer's activations for all of them at once.
CubesPrediction forward_in_chunks(CubesClassifierImpl& c, const torch::Tensor& images) {
  constexpr int64_t kChunk = 256;
  std::vector<CubesPrediction> parts;
  for (int64_t s = 0; s < images.size(0); s += kChunk)
    parts.push_back(c.forward(images.narrow(0, s, std::min(kChunk, images.size(0) - s))));
  auto cat = [&](torch::Tensor CubesPrediction::*field) {
    std::vector<torch::Tensor> v;
    for (const auto& q : parts) v.push_back(q.*field);
    return v.front().defined() ? torch::cat(v) : torch::Tensor();
  };
  return CubesPrediction{cat(&CubesPrediction::pos), cat(&CubesPrediction::size), cat(&CubesPrediction::shape_logits),
                         cat(&CubesPrediction::color_logits), cat(&CubesPrediction::count_logits)};
}

}  // namespace

ClassifierMetrics evaluate_classifier(CubesClassifierImpl& c, const data::CubesScenes& scenes, const torch::Tensor& images,
                                      const torch::Tensor& empty, const torch::Tensor& two,
                                      const torch::Tensor& two_countable) {
  torch::NoGradGuard no_grad;
  const bool was_training = c.is_training();
  c.eval();
  auto p = forward_in_chunks(c, images);
  // [n] counts the head reads (undefined without images or a count head), each set read once.
  auto counts_of = [&](const torch::Tensor& imgs) {
    if (!imgs.defined() || imgs.size(0) == 0 || !c.config().has_count_head()) return torch::Tensor();
    return forward_in_chunks(c, imgs).count();
  };
  auto rate = [](const torch::Tensor& counts, int64_t want) {
    return counts.defined() && counts.size(0) > 0 ? counts.eq(want).to(torch::kFloat).mean().item<double>() : -1.0;
  };
  const auto two_counts = counts_of(two);
  ClassifierMetrics m;
  m.n_count = two.defined() ? two.size(0) : 0;
  m.count_accuracy_one = rate(p.has_count() ? p.count() : torch::Tensor(), 1);
  m.count_accuracy_empty = rate(counts_of(empty), 0);
  m.count_accuracy_two = rate(two_counts, 2);
  if (two_countable.defined() && two_counts.defined()) {
    if (two_countable.size(0) != two.size(0))
      throw std::invalid_argument("evaluate_classifier: two_countable must mark each two-object image");
    const auto keep = two_countable.to(torch::kBool).to(two_counts.device());
    m.n_two_visible = keep.sum().item<int64_t>();
    if (m.n_two_visible > 0) m.count_accuracy_two_visible = rate(two_counts.index({keep}), 2);
  }
  c.train(was_training);
  auto mean = [&](data::CubesConcept k) {
    return grade_concept(p, k, data::concept_labels(scenes.first, k)).mean().item<double>();
  };
  m.position_error = mean(data::CubesConcept::Position);
  m.size_error = mean(data::CubesConcept::Size);
  m.shape_accuracy = mean(data::CubesConcept::Shape);
  m.color_accuracy = mean(data::CubesConcept::Color);
  m.n = images.size(0);
  return m;
}

}  // namespace ebm::train
