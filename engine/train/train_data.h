// Training data: a pool of rendered cubes scenes kept on the training device as uint8 (like the
// original's 8-bit dataset files), drawn uniformly with replacement. Rendering happens once, in
// chunks on the device, so an iteration costs one gather and one uint8→float conversion — no
// host round trip for images. The pool is a pure function of (seed, size, objects), so a resumed
// run rebuilds the identical pool instead of storing it in the checkpoint.
#pragma once

#include "engine/data/cubes_renderer.h"
#include "engine/data/cubes_scene.h"

#include <torch/torch.h>

#include <functional>

namespace ebm::train {

// What every training source hands the trainer per iteration.
struct TrainingBatch {
  torch::Tensor images;  // [B,3,S,S] float in [0,1] on the training device
  torch::Tensor labels;  // [B,L] float on the training device
};

// B rows of a uint8 image set and its labels, drawn uniformly with replacement from `gen` (a CPU
// generator, so the draw is device-independent): images as float in [0,1], both on the set's device.
TrainingBatch draw_from_pool(const torch::Tensor& images_u8, const torch::Tensor& labels, int64_t batch,
                             torch::Generator& gen);

// `n` images rendered in chunks on `device` and kept as uint8 [n,3,64,64]: `render(start, count)` gives
// the float images [count,3,64,64] in [0,1] of rows start … start+count−1; `progress(done, n)` after
// each chunk (may be empty).
torch::Tensor render_pool_images(int64_t n, const torch::Device& device,
                                 const std::function<torch::Tensor(int64_t, int64_t)>& render,
                                 const std::function<void(int64_t, int64_t)>& progress = {});

class CubesPool {
 public:
  // `progress(done, total)` is called after each rendered chunk (may be empty).
  CubesPool(data::CubesConcept concept, int64_t size, int num_objects, uint64_t seed, const torch::Device& device,
            const std::function<void(int64_t, int64_t)>& progress = {});
  // A pool of images rendered elsewhere (uint8 [N,3,64,64]) and their labels [N,L], on one device.
  CubesPool(torch::Tensor images_u8, torch::Tensor labels);

  // Draws B indices from `gen` (a CPU generator, so the draw is device-independent).
  TrainingBatch sample(int64_t batch, torch::Generator& gen) const { return draw_from_pool(images_, labels_, batch, gen); }

  int64_t size() const { return images_.size(0); }
  // Per-channel mean [3] and the mean per-pixel standard deviation of the pool (DSM prior).
  std::array<double, 3> channel_mean() const;
  double pixel_std() const;
  const torch::Tensor& labels() const { return labels_; }

 private:
  torch::Tensor images_;  // uint8 [N,3,64,64] on the device
  torch::Tensor labels_;  // float [N,L] on the device
};

}  // namespace ebm::train
