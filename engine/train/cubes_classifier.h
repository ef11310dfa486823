// CubesClassifier: the grading network of `ebm eval` — a CubesPredict-style convolutional
// regressor/classifier (spec §3.4: conv1×1 → four conv4×4 stride 2 → spatial mean → heads) with one
// head per cubes concept: position [x, y] and size (regression), shape (3 logits), colour (20
// logits). It reads the first object of a scene; it is trained on our renders (with mild pixel
// noise, since it grades samples) by `ebm train-classifier`.
//
// File format: safetensors with the module's parameters under their module names and metadata
// "classifier.config" (JSON: num_filters) and "classifier.heldout" (JSON: held-out metrics).
#pragma once

#include "engine/data/cubes_scene.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>

namespace ebm::train {

// The metadata key that marks a file as a grading classifier (not an energy model): the studio's
// model scan skips such files and the energy-model loader refuses them with a pointer to `ebm eval`.
inline constexpr const char* kClassifierConfigKey = "classifier.config";

struct ClassifierConfig {
  int num_filters = 64;
};

struct CubesPrediction {
  torch::Tensor pos;           // [B,2] label units
  torch::Tensor size;          // [B]
  torch::Tensor shape_logits;  // [B,3]
  torch::Tensor color_logits;  // [B,20]
};

class CubesClassifierImpl : public torch::nn::Module {
 public:
  explicit CubesClassifierImpl(ClassifierConfig config = {});
  // x [B,3,64,64] in [0,1].
  CubesPrediction forward(const torch::Tensor& x);
  const ClassifierConfig& config() const { return config_; }

 private:
  ClassifierConfig config_;
  torch::nn::Conv2d c1_pre{nullptr}, c1{nullptr}, c2{nullptr}, c3{nullptr}, c4{nullptr};
  torch::nn::Linear fc{nullptr}, head_pos{nullptr}, head_size{nullptr}, head_shape{nullptr}, head_color{nullptr};
};
TORCH_MODULE(CubesClassifier);

// Per-image grades of predictions against the truth of one concept: the error (position: Euclidean
// distance, size: absolute difference) or correctness (shape, colour: 1/0) as a [B] float tensor.
// `labels` are model labels of that concept ([B,2], [B,1], one-hot [B,3] / [B,20]).
torch::Tensor grade_concept(const CubesPrediction& p, data::CubesConcept concept, const torch::Tensor& labels);

// Held-out metrics of a classifier on rendered scenes: mean position error, mean size error, shape
// and colour accuracy.
struct ClassifierMetrics {
  double position_error = 0, size_error = 0, shape_accuracy = 0, color_accuracy = 0;
  int64_t n = 0;
};
void to_json(nlohmann::json& j, const ClassifierMetrics& m);
ClassifierMetrics evaluate_classifier(CubesClassifierImpl& c, const data::CubesScenes& scenes, const torch::Tensor& images);

// Atomic save; load onto the CPU. Load throws std::runtime_error naming the file and the problem.
void save_classifier(const std::string& path, const CubesClassifierImpl& c, const nlohmann::json& heldout = {});
CubesClassifier load_classifier(const std::string& path, nlohmann::json* heldout = nullptr);

}  // namespace ebm::train
