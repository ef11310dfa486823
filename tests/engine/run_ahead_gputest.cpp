// RunAhead on a real GPU (skips without CUDA): after each launched step, no more than the limit of
// steps is left unfinished, and the bound costs the GPU no idle time worth naming.
#include "engine/gpu/run_ahead.h"
#include "engine/gpu/step_graph.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>

#ifdef EBM_HAVE_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include <chrono>
#include <deque>
#include <iostream>

namespace ebm {
namespace {

TEST(RunAheadGpu, NoMoreThanTheLimitOfStepsIsLeftUnfinished) {
#ifndef EBM_HAVE_CUDA
  GTEST_SKIP() << "built without CUDA";
#else
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  torch::NoGradGuard ng;
  const torch::Device dev("cuda:0");
  auto a = torch::randn({4096, 4096}, dev);
  // A "step": a few large products (milliseconds of GPU work, microseconds to launch).
  auto step = [&] {
    auto y = a;
    for (int i = 0; i < 4; ++i) y = torch::mm(y, a).div_(64.0);
    return y;
  };
  auto run = [&](int limit, int steps) {
    gpu::RunAhead ahead(limit);
    std::deque<at::cuda::CUDAEvent> mine;
    int most_unfinished = 0;
    torch::cuda::synchronize();
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) {
      step();
      mine.emplace_back();
      mine.back().record(c10::cuda::getCurrentCUDAStream(0));
      ahead.step_launched({dev});
      int unfinished = 0;
      for (auto& e : mine) unfinished += e.query() ? 0 : 1;
      most_unfinished = std::max(most_unfinished, unfinished);
    }
    torch::cuda::synchronize();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return std::make_pair(most_unfinished, s);
  };
  run(0, 5);  // warm-up (cuBLAS handles, allocator)
  const auto [bounded, t_bounded] = run(2, 40);
  const auto [free_run, t_free] = run(0, 40);
  std::cout << "[ run-ahead ] 40 steps: limit 2 " << t_bounded * 1e3 << " ms (at most " << bounded
            << " unfinished), unbounded " << t_free * 1e3 << " ms (at most " << free_run << " unfinished)\n";
  EXPECT_LE(bounded, 2);
  EXPECT_GT(free_run, 2);  // without the bound the host runs ahead (the test's premise)
  EXPECT_LT(t_bounded, t_free * 1.10);  // the GPU stays busy
#endif
}

}  // namespace
}  // namespace ebm
