// Cubes scenes: the parameters of our procedural stand-in for the original MuJoCo cubes datasets
// (spec §6 "Cubes"): one (optionally two) object — box, sphere or cylinder — of one of 20 fixed
// colours, size 0.3–0.7, at position (x, y) ∈ [−1, 1]² on a floor. Parameters are batched tensors
// so a whole training batch is drawn, labelled and rendered without per-scene C++ loops.
//
// Labels follow the original's `Cubes(cond_idx)` dataset exactly:
//   position → [x, y] (L=2), size → [size] (L=1), shape → one-hot 3 (box, sphere, cylinder),
//   color → one-hot 20 (LabelSchema::cubes_color() order).
#pragma once

#include "models/label_schema.h"

#include <torch/torch.h>

#include <optional>
#include <string>

namespace ebm::data {

enum class CubesConcept { Position, Size, Shape, Color };

// "position" | "size" | "shape" | "color" (also "colour"); throws std::invalid_argument otherwise.
CubesConcept cubes_concept_from_string(const std::string& s);
std::string to_string(CubesConcept c);
int label_size(CubesConcept c);  // 2, 1, 3, 20
LabelSchema cubes_schema(CubesConcept c);

constexpr int kNumShapes = 3;    // 0 box, 1 sphere, 2 cylinder
constexpr int kNumColors = 20;   // LabelSchema::cubes_color()
constexpr float kMinSize = 0.3f;
constexpr float kMaxSize = 0.7f;

// One object per scene, batched over B scenes. All tensors live on the same device.
struct CubesObjects {
  torch::Tensor pos;    // [B,2] float, label units in [−1, 1]
  torch::Tensor size;   // [B]   float in [0.3, 0.7]
  torch::Tensor shape;  // [B]   int64 in [0, 3)
  torch::Tensor color;  // [B]   int64 in [0, 20)

  int64_t batch() const { return pos.defined() ? pos.size(0) : 0; }
  CubesObjects to(const torch::Device& d) const;
  CubesObjects index(const torch::Tensor& idx) const;  // rows idx (int64) of every field
  // Throws std::invalid_argument naming the field when shapes, dtypes or ranges are wrong.
  void validate() const;
};

struct CubesScenes {
  CubesObjects first;
  std::optional<CubesObjects> second;  // two-object scenes: every scene of the batch has both

  int64_t batch() const { return first.batch(); }
  CubesScenes to(const torch::Device& d) const;
  CubesScenes index(const torch::Tensor& idx) const;
  void validate() const;
};

struct SceneSampling {
  int num_objects = 1;  // 1 or 2
  // Two-object scenes: tries per scene to find a second position that does not overlap the first
  // (the try with the largest clearance is kept when none is free).
  int placement_tries = 16;
};

// Draws n scenes uniformly (x, y ~ U(−1,1), size ~ U(0.3,0.7), shape and colour uniform) from
// `gen`, which must be a CPU generator: the same seed gives the same scenes on every machine.
// Returns CPU tensors; move them with .to(device).
CubesScenes sample_scenes(int64_t n, torch::Generator gen, const SceneSampling& opt = {});

// The model label of a concept for each scene's first object: [B, label_size(c)] float.
torch::Tensor concept_labels(const CubesObjects& o, CubesConcept c);

// Overwrites the concept's fields of `o` from model labels [B, L] (one-hot labels by argmax), so a
// scene can be rendered "as the label says" with its other attributes random.
void apply_concept_labels(CubesObjects& o, CubesConcept c, const torch::Tensor& labels);

// Palette of the 20 colours as a [20,3] float tensor in [0,1] (from LabelSchema::cubes_color()).
torch::Tensor cubes_palette();

}  // namespace ebm::data
