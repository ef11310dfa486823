// The "count" concept: how many objects a cubes scene holds (none, one or two; LabelSchema::
// cubes_count()). Every other cubes concept is trained on one-object scenes only, so none of them has
// seen an empty floor or a second object, and compositions of them end in empty floors (issue #28).
// A model of the count, ANDed into a composition with the label "one object" and guidance, pulls
// every sample toward exactly one object: classifier-free guidance on the count itself.
//
// The pool mixes the three kinds of scene in equal shares, drawn per scene from the pool's seed (the
// same pool on every device, rebuilt identically on resume), rendered once on the training device and
// kept as uint8, as the other cubes concepts' pool is.
#pragma once

#include "engine/train/training_source.h"

namespace ebm::train {

// `counts` [n] int64 in {0, 1, 2} on the CPU: a scene per entry with that many objects (their
// attributes drawn from `gen`, a CPU generator), rendered on `device`: [n,3,64,64] float in [0,1].
torch::Tensor render_counted_scenes(const torch::Tensor& counts, torch::Generator& gen, const torch::Device& device);

std::unique_ptr<TrainingSource> make_count_source(const TrainOptions& opt, const torch::Device& device,
                                                  uint64_t pool_seed);

}  // namespace ebm::train
