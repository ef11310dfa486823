// The session worker against a real CUDA out-of-memory: the caching allocator is capped (memory
// fraction) so that a batch that fits an H200 many times over no longer fits, and the run must go
// on at a smaller batch with a warning instead of ending in an error. Skips without CUDA.
#include "engine/session.h"

#include <gtest/gtest.h>

#include <iostream>

#if defined(EBM_HAVE_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>
#endif

namespace ebm {
namespace {

TEST(SessionGpu, ARealCudaOutOfMemoryHalvesTheBatchAndTheRunFinishes) {
#if !defined(EBM_HAVE_CUDA)
  GTEST_SKIP() << "built without CUDA";
#else
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  size_t free_bytes = 0, total_bytes = 0;
  ASSERT_EQ(cudaMemGetInfo(&free_bytes, &total_bytes), cudaSuccess);
  // Cap this process at 2 GiB. Each sample's energy builds a 4096-fold copy of its 8x8x3 image
  // (3 MiB, kept for the backward pass, twice), so a batch of 1024 needs ~6 GiB and 256 ~1.5 GiB.
  const double cap = 2.0 * (1 << 30);
  // The caching allocator sets up a device on its first allocation there; before that (LibTorch 2.11)
  // setMemoryFraction throws "Allocator not initialized for device". One small tensor does it.
  torch::empty({1}, torch::Device(torch::kCUDA, 0));
  c10::cuda::CUDACachingAllocator::emptyCache();
  c10::cuda::CUDACachingAllocator::setMemoryFraction(cap / static_cast<double>(total_bytes), 0);
  struct Uncap {
    ~Uncap() { c10::cuda::CUDACachingAllocator::setMemoryFraction(1.0, 0); }
  } uncap;

  ModelInfo info;
  info.channels = 3;
  info.image_size = 8;
  info.label_size = 3;
  info.schema = LabelSchema::generic(3);
  auto hungry = std::make_shared<FunctionModel>(
      [](const torch::Tensor& x, const torch::Tensor& label) {
        auto c = label.view({label.size(0), 3, 1, 1});
        auto wide = (x - c).unsqueeze(1).expand({x.size(0), 4096, 3, 8, 8}).contiguous();
        return wide.square().flatten(1).sum(1) / 8192.0;
      },
      info);

  Session s;
  s.submit(cmd::AddModel{"hungry", hungry});
  s.submit(cmd::SetComposition{Node::term("a", "hungry", {0.5f, 0.5f, 0.5f})});
  SamplerParams p;
  p.steps = 5;
  p.batch = 1024;
  p.device = "cuda";
  s.submit(cmd::SetSampler{p});
  s.submit(cmd::Start{});
  auto snap = s.latest();
  for (int waited = 0; waited < 120000 && snap->status != SessionStatus::Finished &&
                       snap->status != SessionStatus::Error;
       waited += 20)
    snap = s.wait_for_newer(snap->seq, 20);
  std::string events;
  bool warned = false;
  for (const auto& e : snap->events) {
    events += e.message + "\n";
    if (e.kind == Event::Kind::BatchReduced && e.message.find("out of device memory at batch 1024") != std::string::npos)
      warned = true;
  }
  ASSERT_EQ(snap->status, SessionStatus::Finished) << events;
  EXPECT_TRUE(warned) << events;
  EXPECT_LT(snap->images.size(0), 1024);
  EXPECT_GE(snap->images.size(0), 128) << "halved further than the cap requires:\n" << events;
  std::cout << "[oom] finished at batch " << snap->images.size(0) << " after:\n" << events;
#endif
}

}  // namespace
}  // namespace ebm
