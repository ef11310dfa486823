// What `ebm train` learns from: the procedural cubes (a pool of renders of one concept) or a folder
// of the user's images with labels.csv (engine/data/image_folder.h). The trainer asks the source for
// batches, for the data statistics of the denoising prior, for the labels and reference images of its
// sample grids, and for what the model card says about the data.
//
// A folder set lives on the training device when it fits (uint8, like the cubes pool); otherwise it
// stays in host memory (memory-mapped from its cache) and a loader thread gathers the next batches
// into pinned memory while the GPU trains on the current one. The streamed batches' images are drawn
// from a generator seeded by (seed, iteration), so a resumed run draws the same batches without
// saving the loader's state.
#pragma once

#include "engine/data/cubes_scene.h"
#include "engine/train/train_data.h"  // TrainingBatch
#include "engine/train/train_options.h"
#include "models/label_schema.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

namespace ebm::train {

class TrainingSource {
 public:
  virtual ~TrainingSource() = default;
  // The batch of `iteration`: indices from `gen` (a CPU generator the trainer saves with its
  // checkpoint), or — for a streamed set — from the iteration itself.
  virtual TrainingBatch sample(int64_t batch, torch::Generator& gen, int64_t iteration) = 0;
  virtual std::array<double, 3> channel_mean() const = 0;  // DSM prior μ
  virtual double pixel_std() const = 0;                    // DSM prior σ_d
  virtual LabelSchema schema() const = 0;                  // the concept's label slots
  virtual int image_size() const = 0;
  // `n` labels for the sample grids and renders/images of what they should look like (CPU, [n,3,S,S]).
  virtual torch::Tensor preview_labels(int64_t n, uint64_t seed) const = 0;
  virtual torch::Tensor reference_images(int64_t n, uint64_t seed) const = 0;
  // The cubes concept, when the trainer's quick grades of sample grids apply (folder data: none).
  virtual std::optional<data::CubesConcept> cubes_concept() const { return std::nullopt; }
  // For the model file's training metadata: what the data was (kind, directory, count, hash).
  virtual nlohmann::json describe() const = 0;
  // How it was loaded, for the progress line ("50000 scenes rendered", "1200 images, from the cache").
  virtual std::string summary() const = 0;
};

// The source `opt` asks for, on `device`. `pool_seed` seeds the cubes pool's scenes; the folder's
// cache goes to <out_dir>/data_cache_<size>.u8. Throws data::DatasetError / std::invalid_argument
// naming what is wrong.
std::unique_ptr<TrainingSource> make_training_source(const TrainOptions& opt, const torch::Device& device,
                                                     uint64_t pool_seed);

}  // namespace ebm::train
