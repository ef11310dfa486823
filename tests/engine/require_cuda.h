// Skips a GPU test (the `gpu` ctest label) cleanly where it cannot run: a build without CUDA, or a
// machine without a CUDA device.
#pragma once

#include "engine/gpu/step_graph.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>

#define REQUIRE_CUDA()                                                                 \
  do {                                                                                 \
    if (!::ebm::gpu::StepGraph::available()) GTEST_SKIP() << "built without CUDA";     \
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";                \
  } while (0)
