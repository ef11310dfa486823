// The one-kernel counter noise (engine/rng/counter_noise_cuda.h) against the tensor-op version it
// replaces, on a real GPU (skips without CUDA): the same hashes, so uniforms bit for bit; normals
// through the same float operations (measured and printed; held to 2 ulp), for device and host keys,
// sample ids past 2^32 and an element count that is no multiple of the block size.
#include "engine/gpu/step_graph.h"
#include "engine/rng/counter_rng.h"

#include "require_cuda.h"

#include <gtest/gtest.h>

#include <iostream>

namespace ebm {
namespace {

// Draws with the kernel switched on or off, restoring the switch.
template <typename F>
torch::Tensor with_kernel(bool on, F&& draw) {
  const bool was = counter_noise_kernel_enabled();
  set_counter_noise_kernel_enabled(on);
  torch::Tensor t = draw();
  set_counter_noise_kernel_enabled(was);
  return t.cpu();
}

TEST(CounterNoiseGpu, TheKernelDrawsTheTensorOpsNumbers) {
  REQUIRE_CUDA();
  const torch::Device dev("cuda");
  const std::vector<std::int64_t> id_values{0, 7, 3, (std::int64_t{1} << 32) + 5, (std::int64_t{1} << 40) + 123};
  const auto ids = torch::tensor(id_values, torch::kLong).to(dev);
  const std::vector<std::int64_t> shape{3, 17, 13};  // 663 elements per sample
  const std::uint32_t key = noise_key(42, NoiseStream::Langevin, 0, 17);
  const torch::Tensor key_dev = key_tensor(key, dev);

  for (bool device_key : {false, true}) {
    auto uni = [&] { return device_key ? counter_uniform(key_dev, ids, shape) : counter_uniform(key, ids, shape); };
    auto nor = [&] { return device_key ? counter_normal(key_dev, ids, shape) : counter_normal(key, ids, shape); };
    const torch::Tensor u_k = with_kernel(true, uni), u_t = with_kernel(false, uni);
    ASSERT_EQ(u_k.sizes(), (std::vector<std::int64_t>{5, 3, 17, 13}));
    EXPECT_TRUE(torch::equal(u_k, u_t)) << "uniforms differ, device key " << device_key;

    const torch::Tensor n_k = with_kernel(true, nor), n_t = with_kernel(false, nor);
    ASSERT_EQ(n_k.sizes(), n_t.sizes());
    const double max_abs = (n_k - n_t).abs().max().item<double>();
    const double exact = n_k.eq(n_t).to(torch::kDouble).mean().item<double>();
    std::cout << "[ counter noise ] device key " << device_key << ": normals identical in " << exact * 100
              << " % of " << n_k.numel() << ", max |diff| " << max_abs << "\n";
    // 2 ulp of the largest |z| (Box–Muller with 24-bit uniforms stays below 6).
    EXPECT_LE(max_abs, 2 * 6.0 * 1.2e-7);
    // The CPU draw of the same key: the integer part is the same on both devices.
    EXPECT_TRUE(torch::equal(u_k, device_key ? counter_uniform(key_tensor(key, torch::kCPU), ids.cpu(), shape)
                                             : counter_uniform(key, ids.cpu(), shape)));
  }
}

// Inside a captured graph the kernel reads its key on the GPU: each replay draws the key written
// before it, as the tensor-op version did.
TEST(CounterNoiseGpu, AReplayedDrawReadsTheKeyWrittenBeforeIt) {
  REQUIRE_CUDA();
  const torch::Device dev("cuda");
  const auto ids = torch::arange(8, torch::TensorOptions().dtype(torch::kLong).device(dev));
  torch::Tensor key_dev = key_tensor(1, dev);
  torch::Tensor out;
  gpu::StepGraph graph;
  graph.capture([&] { out = counter_normal(key_dev, ids, {3, 8, 8}); }, dev.index());
  for (std::uint32_t k : {11u, 12u}) {
    key_dev.fill_(static_cast<std::int64_t>(k));
    graph.replay();
    EXPECT_TRUE(torch::equal(out.cpu(), counter_normal(k, ids, {3, 8, 8}).cpu())) << "key " << k;
  }
}

}  // namespace
}  // namespace ebm
