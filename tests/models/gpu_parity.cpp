// The parity cases on CUDA: forward outputs and input gradients on the GPU must match the CPU run of
// the same C++ model (and the reference fixture) to 1e-4 relative with TF32 off. Skips without CUDA.
#include "parity_util.h"

#include <gtest/gtest.h>

namespace ebm::test {
namespace {

// cuDNN picks other convolution algorithms than the CPU (different summation order), so fp32 results
// agree to ~1e-6..1e-5; 1e-4 leaves headroom while still catching any real divergence.
constexpr double kCudaTolerance = 1e-4;

class GpuParity : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    // TF32 would round matmul/conv inputs to 10 mantissa bits: parity needs true fp32.
    at::globalContext().setAllowTF32CuBLAS(false);
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setDeterministicCuDNN(true);
  }
};

TEST_P(GpuParity, CudaMatchesCpuAndReference) {
  const auto c = load_parity_case(GetParam());
  auto cpu_model = build_parity_model(c, torch::kCPU);
  const auto cpu = run_parity_case(c, *cpu_model, torch::kCPU);
  auto gpu_model = build_parity_model(c, torch::Device(torch::kCUDA, 0));
  const auto gpu = run_parity_case(c, *gpu_model, torch::Device(torch::kCUDA, 0));
  for (const auto& k : expected_keys(c)) {
    ASSERT_TRUE(gpu.count(k) && cpu.count(k)) << k;
    EXPECT_LE(max_rel_error(gpu.at(k), cpu.at(k)), kCudaTolerance) << GetParam() << ": " << k << " (CUDA vs CPU)";
    EXPECT_LE(max_rel_error(gpu.at(k), c.tensors.at(k)), kCudaTolerance) << GetParam() << ": " << k << " (CUDA vs reference)";
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GpuParity, ::testing::ValuesIn(list_parity_cases()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ebm::test
