// A dropped CUDA graph gives its private memory pool back (engine/gpu/device_memory.h): a sampler
// that re-captures per composition — `ebm eval` recipe after recipe, the studio after each edit —
// must not keep a pool's worth of device memory per capture.
#include "engine/gpu/device_memory.h"
#include "engine/gpu/step_graph.h"
#include "tests/engine/require_cuda.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace ebm {
namespace {

TEST(StepGraphGpu, RecapturesDoNotKeepTheirPoolsReserved) {
  REQUIRE_CUDA();
  const torch::Device dev("cuda:0");
  auto x = torch::randn({16, 1024, 1024}, torch::TensorOptions().device(dev));  // 64 MiB
  torch::Tensor out = torch::zeros({1}, x.options());
  gpu::free_cached_device_memory();
  const std::int64_t before = gpu::reserved_device_bytes(0);
  constexpr std::int64_t kMiB = 1024 * 1024;
  for (int round = 0; round < 6; ++round) {
    gpu::StepGraph graph;
    // Three 64 MiB intermediates live inside the graph's pool.
    graph.capture([&] { out.copy_(((x * 2).exp() + x.sin()).sum().reshape({1})); }, 0);
    graph.replay();
    graph.reset();
    const std::int64_t now = gpu::reserved_device_bytes(0);
    EXPECT_LE(now - before, 64 * kMiB) << "round " << round << ": " << (now - before) / kMiB << " MiB still reserved";
  }
  {
    gpu::StepGraph dropped;  // the destructor returns the pool too
    dropped.capture([&] { out.copy_((x * 3).exp().sum().reshape({1})); }, 0);
    dropped.replay();
  }
  EXPECT_LE(gpu::reserved_device_bytes(0) - before, 64 * kMiB);
  EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
}

}  // namespace
}  // namespace ebm
