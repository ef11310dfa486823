// The sampler split over two GPUs of one process (the studio's worker with --gpus 2), on a machine
// with at least two (skips otherwise): the gathered chain is the one-GPU chain at micro_batch = one
// share, bit for bit, with the step replayed from a CUDA graph on each GPU; edits reach both shards
// without a re-capture; and the wall time of both against one is printed for the note.
#include "engine/energy/network_model.h"
#include "engine/gpu/step_graph.h"
#include "engine/sampling/sharded_sampler.h"
#include "gpu_test_composition.h"
#include "models/registry.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <chrono>
#include <iostream>

namespace ebm {
namespace {

#define REQUIRE_TWO_GPUS()                                                                        \
  do {                                                                                            \
    if (!gpu::StepGraph::available()) GTEST_SKIP() << "built without CUDA";                       \
    if (torch::cuda::device_count() < 2) GTEST_SKIP() << "fewer than two CUDA devices";           \
  } while (0)

using test::cubesnet;
using test::pair;

template <typename S>
void configure(S& s, int devices, std::int64_t batch, std::int64_t micro_batch) {
  s.set_models({{"m0", cubesnet(1)}, {"m1", cubesnet(2)}});
  s.set_composition(pair(1.0, 0.5f));
  SamplerParams p;
  p.batch = batch;
  p.steps = 1000;
  p.device = "cuda:0";
  p.devices = devices;
  p.micro_batch = micro_batch;
  p.init = InitMode::Uniform;
  s.set_params(p);
}

TEST(ShardedSamplerGpu, TwoGpusDrawTheOneGpuChainBitForBit) {
  REQUIRE_TWO_GPUS();
  torch::NoGradGuard ng;
  ShardedSampler split;
  configure(split, 2, 64, 0);
  Sampler one;
  configure(one, 1, 64, 32);
  split.start();
  one.start();
  for (int i = 0; i < 20; ++i) split.step(), one.step();
  EXPECT_EQ(split.last_step_path(), "cuda graph");
  EXPECT_EQ(split.state().x.device(), torch::Device("cuda:0"));
  EXPECT_TRUE(torch::equal(split.state().x, one.state().x))
      << "max diff " << (split.state().x - one.state().x).abs().max().item<double>();
  // A weight and label edit reaches both GPUs' graphs without a re-capture.
  split.set_composition(pair(0.4, -0.5f));
  one.set_composition(pair(0.4, -0.5f));
  for (int i = 0; i < 10; ++i) split.step(), one.step();
  EXPECT_TRUE(torch::equal(split.state().x, one.state().x));
  EXPECT_EQ(split.graph_captures(), 1);
  EXPECT_EQ(split.chain_params().micro_batch, 32);
}

TEST(ShardedSamplerGpu, TwoGpusAgainstOneAtBatch256) {
  REQUIRE_TWO_GPUS();
  torch::NoGradGuard ng;
  auto rate = [](auto& s, int steps) {
    s.start();
    for (int i = 0; i < 10; ++i) s.step();  // capture and warm-up
    torch::cuda::synchronize(0);
    torch::cuda::synchronize(1);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) s.step();
    (void)s.state().x.sum().template item<double>();  // gathered onto the first GPU: waits for every shard
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return 256.0 * steps / sec;
  };
  ShardedSampler split;
  configure(split, 2, 256, 0);
  Sampler one;
  configure(one, 1, 256, 0);
  const double r1 = rate(one, 200), r2 = rate(split, 200);
  std::cout << "[ sharded ] CubesNet 2 terms, batch 256, tf32 graph: 1 GPU " << r1 << " img-steps/s, 2 GPUs " << r2
            << " img-steps/s (" << r2 / r1 << "x)\n";
  EXPECT_GT(r2, r1);  // two GPUs must at least beat one
}

}  // namespace
}  // namespace ebm
