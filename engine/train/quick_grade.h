// Quick grading of sample grids during training, without a trained classifier: an image-space
// reading of our own renderer's scenes (slate floor, one object). Pixels that are not a shade of the
// floor colour are "object"; the object's centroid, mapped back through the camera, gives its
// position; its brightest pixels (lit top faces show the exact palette colour) give its colour.
// Rough but cheap — the real grader is the classifier of `ebm train-classifier`. On real renders
// position error is ~0.02 and colour accuracy ~100 % (tests/train).
#pragma once

#include "engine/data/cubes_scene.h"

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace ebm::train {

struct QuickGrade {
  double found = 0;           // fraction of images with one object-sized blob (12–1500 object pixels)
  double position_error = -1; // mean Euclidean distance to the label over found images (label units); -1 if not graded
  double color_accuracy = -1; // fraction of found images whose colour is the label's; -1 if not graded
  // Flattened as (name, value) pairs for the log (only the graded ones).
  std::vector<std::pair<std::string, double>> values() const;
};

// images [N,3,64,64] in [0,1] (any device), labels [N,L] of `concept`. Position and colour concepts
// are graded; size and shape report only `found`.
QuickGrade quick_grade(const torch::Tensor& images, const torch::Tensor& labels, data::CubesConcept concept);

// [N] bool: does each image [N,3,64,64] show one object-sized, compact blob (QuickGrade::found)?
torch::Tensor objects_found(const torch::Tensor& images);
// [N,64,64] bool: pixels that are not a (shadowed or lit) shade of the floor.
torch::Tensor object_pixels(const torch::Tensor& images);
// [N,2] label-unit (x, y) positions read from object centroids; NaN rows where no object is found.
torch::Tensor read_positions(const torch::Tensor& images);

}  // namespace ebm::train
