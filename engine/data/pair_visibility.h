// How much of each object of a two-object scene the camera sees. The scene sampler keeps the two
// objects apart on the floor (SceneSampling), but the camera looks down at 55°, so a near object can
// still hide most of a far one: such a scene shows one object, and no reader — a person or the
// grading classifier — can count two in it. The grader's held-out figures report two-object scenes
// both ways: all of them, and those where both objects are at least half visible.
#pragma once

#include "engine/data/cubes_renderer.h"
#include "engine/data/cubes_scene.h"

#include <torch/torch.h>

namespace ebm::data {

// For each two-object scene, the smaller of its objects' visible shares: the pixels where the pair's
// render shows that object over the pixels the object covers when rendered alone. [B] float in
// [0, 1], on the scenes' device. Three shadowless renders of the batch (the pair and each object
// alone); antialiased edges make it approximate to a few hundredths. Throws for one-object scenes.
torch::Tensor least_visible_share(const CubesRenderer& renderer, const CubesScenes& pairs);

// The share below which a two-object scene is not expected to be read as two (see above).
constexpr double kCountableVisibleShare = 0.5;

}  // namespace ebm::data
