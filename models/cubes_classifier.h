// CubesClassifier: the grading network of `ebm eval` — a CubesPredict-style convolutional
// regressor/classifier (spec §3.4: conv1×1 → four conv4×4 stride 2 → heads) with one head per cubes
// concept: position [x, y] and size (regression), shape (3 logits), colour (20 logits), and — in
// the "coord" layout — how many objects the scene holds (3 logits: none, one, two or more).
//
// Two layouts:
//   "mean"  (the first grader, 2026-11-30): the 4×4 feature map is averaged over space before the
//           heads. A spatial mean throws away where things are, so position had to be read from
//           padding effects: its held-out error was 0.091, as large as the 0.10 it grades.
//   "coord" (default): two coordinate channels (x, y ∈ [−1, 1], CoordConv) join the image, and the
//           4×4 map is flattened, so the heads see where each feature is. Trained on scenes with
//           zero, one and two objects; the attribute heads read one-object scenes.
// It is trained on our renders (with pixel noise, since it grades samples) by `ebm train-classifier`
// (engine/train/classifier_training.h); engine/train/classifier_metrics.h grades its predictions.
//
// File format: safetensors with the module's parameters under their module names and metadata
// "classifier.config" (JSON: num_filters, layout; no layout = "mean") and "classifier.heldout"
// (JSON: held-out metrics).
#pragma once

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>

namespace ebm {

// The metadata key that marks a file as a grading classifier (not an energy model): the studio's
// model scan skips such files and the energy-model loader refuses them with a pointer to `ebm eval`.
inline constexpr const char* kClassifierConfigKey = "classifier.config";

enum class ClassifierLayout { Mean, Coord };
std::string to_string(ClassifierLayout l);                 // "mean" | "coord"
ClassifierLayout classifier_layout_from_string(const std::string& s);  // throws std::invalid_argument

struct ClassifierConfig {
  int num_filters = 64;
  ClassifierLayout layout = ClassifierLayout::Coord;
  bool has_count_head() const { return layout == ClassifierLayout::Coord; }
};

constexpr int kCountClasses = 3;  // the count head: 0 = empty floor, 1 = one object, 2 = two or more
// The attribute heads' classes: the cubes data's shapes and colours (data::kNumShapes, kNumColors in
// engine/data/cubes_scene.h; engine/train/classifier_metrics.cpp checks that they agree, since this
// layer cannot include the data).
constexpr int kShapeClasses = 3;
constexpr int kColorClasses = 20;

struct CubesPrediction {
  torch::Tensor pos;           // [B,2] label units
  torch::Tensor size;          // [B]
  torch::Tensor shape_logits;  // [B,3]
  torch::Tensor color_logits;  // [B,20]
  torch::Tensor count_logits;  // [B,3] (coord layout; undefined for a "mean" grader)
  bool has_count() const { return count_logits.defined(); }
  // [B] int64 object count read by the count head (0, 1, 2 = two or more). Requires has_count().
  torch::Tensor count() const { return count_logits.argmax(1); }
};

class CubesClassifierImpl : public torch::nn::Module {
 public:
  explicit CubesClassifierImpl(ClassifierConfig config = {});
  // x [B,3,64,64] in [0,1].
  CubesPrediction forward(const torch::Tensor& x);
  const ClassifierConfig& config() const { return config_; }

 private:
  ClassifierConfig config_;
  torch::Tensor coords(const torch::Tensor& x) const;  // [B,2,H,W] x, y ∈ [−1, 1]
  torch::nn::Conv2d c1_pre{nullptr}, c1{nullptr}, c2{nullptr}, c3{nullptr}, c4{nullptr};
  torch::nn::Linear fc{nullptr}, head_pos{nullptr}, head_size{nullptr}, head_shape{nullptr}, head_color{nullptr},
      head_count{nullptr};
};
TORCH_MODULE(CubesClassifier);

// Atomic save; load onto the CPU. Load throws std::runtime_error naming the file and the problem.
void save_classifier(const std::string& path, const CubesClassifierImpl& c, const nlohmann::json& heldout = {});
CubesClassifier load_classifier(const std::string& path, nlohmann::json* heldout = nullptr);

}  // namespace ebm
