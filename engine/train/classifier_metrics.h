// Grading with the cubes classifier (models/cubes_classifier.h): how far a prediction is from the
// truth of one concept, and the held-out metrics `ebm train-classifier` records in the file. The
// network is a model; what its predictions mean for the cubes data lives here, beside the data.
#pragma once

#include "engine/data/cubes_scene.h"
#include "models/cubes_classifier.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>

namespace ebm::train {

// Per-image grades of predictions against the truth of one concept: the error (position: Euclidean
// distance, size: absolute difference) or correctness (shape, colour: 1/0) as a [B] float tensor.
// `labels` are model labels of that concept ([B,2], [B,1], one-hot [B,3] / [B,20]).
torch::Tensor grade_concept(const CubesPrediction& p, data::CubesConcept concept, const torch::Tensor& labels);

// Held-out metrics of a classifier on rendered scenes: mean position error, mean size error, shape
// and colour accuracy on one-object scenes; with a count head also how often it reads each count
// right (an empty floor as empty, one object as one, two objects as two or more). −1: not measured.
struct ClassifierMetrics {
  double position_error = 0, size_error = 0, shape_accuracy = 0, color_accuracy = 0;
  double count_accuracy_empty = -1, count_accuracy_one = -1, count_accuracy_two = -1;
  // Two-object scenes where both objects are at least half visible (engine/data/pair_visibility.h):
  // those a reader can count; the rest show one object with the other hidden behind it.
  double count_accuracy_two_visible = -1;
  int64_t n = 0;                // one-object renders
  int64_t n_count = 0;          // two-object renders (as many empty floors)
  int64_t n_two_visible = 0;    // of those, with both objects at least half visible
};
void to_json(nlohmann::json& j, const ClassifierMetrics& m);
// `scenes`/`images`: one-object scenes. `empty` and `two` (optional, images of empty floors and of
// two-object scenes) measure the count head; `two_countable` (optional, [n] bool beside `two`) marks
// the two-object scenes with both objects at least half visible.
ClassifierMetrics evaluate_classifier(CubesClassifierImpl& c, const data::CubesScenes& scenes, const torch::Tensor& images,
                                      const torch::Tensor& empty = {}, const torch::Tensor& two = {},
                                      const torch::Tensor& two_countable = {});

}  // namespace ebm::train
