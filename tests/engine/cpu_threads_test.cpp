// The CPU thread counts of engine/gpu/cpu_threads.h: the studio's GUI thread runs its tensor ops on
// itself while the sampling worker keeps the count use_all_cores() chose.
#include "engine/gpu/cpu_threads.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <thread>

namespace {

TEST(CpuThreads, ASerialThreadRunsAloneAndTheOthersKeepThePool) {
  const int pool = ebm::gpu::use_all_cores();
  ASSERT_GE(pool, 1);
  int serial_count = -1, worker_count = -1;
  bool found = false;
  std::thread gui([&] {
    found = ebm::gpu::serial_ops_on_this_thread();
    // An op after the call keeps the thread's count at one (LibTorch's first-op initialisation must
    // not raise it again).
    at::parallel_for(0, 1 << 16, 1, [](std::int64_t, std::int64_t) {});
    (void)torch::ones({1 << 18}).add_(1).sum().item<float>();  // ops inside LibTorch too
    serial_count = at::get_num_threads();
  });
  gui.join();
  std::thread worker([&] {
    at::init_num_threads();  // as the session worker does (engine/session/worker.cpp)
    worker_count = at::get_num_threads();
  });
  worker.join();
  // Debian's LibTorch and the CUDA builds' are built with OpenMP: the runtime is there to find.
  ASSERT_TRUE(found) << "omp_set_num_threads not found: is this LibTorch built without OpenMP?";
  EXPECT_EQ(serial_count, 1);
  EXPECT_EQ(worker_count, pool);
  EXPECT_EQ(at::get_num_threads(), pool);  // the calling thread's own count is untouched
}

}  // namespace
