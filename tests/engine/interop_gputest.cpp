// CUDA-GL interop on a real GPU (skips without CUDA, EGL or an NVIDIA EGL device): a batch on the
// GPU written through a registered GL buffer holds exactly the bytes the host conversion makes —
// RGBA8 images and R32F scalar fields, into two buffers alternately as the studio's double
// buffering does — and a buffer registered in a CPU-only build fails with a clear message.
#include "engine/gpu/atlas.h"
#include "engine/gpu/cuda_gl_buffer.h"
#include "engine/gpu/headless_gl.h"

#include <gtest/gtest.h>

#include <cstring>
#include <iostream>
#include <vector>

namespace ebm::gpu {
namespace {

TEST(InteropGpu, RegisteringWithoutInteropSaysWhy) {
  if (CudaGlBuffer::available()) GTEST_SKIP() << "this build has interop (the GPU test below covers it)";
  try {
    CudaGlBuffer b(1, 16, 0);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no CUDA-GL interop"), std::string::npos) << e.what();
  }
  std::string why;
  EXPECT_EQ(HeadlessGl::create(&why), nullptr);
  EXPECT_FALSE(why.empty());
}

// A GL buffer of `bytes` in `gl`, deleted with the test.
struct GlBuffer {
  HeadlessGl* gl;
  unsigned int id;
  GlBuffer(HeadlessGl* g, std::size_t bytes) : gl(g), id(g->create_buffer(bytes)) {}
  ~GlBuffer() { gl->delete_buffer(id); }
  GlBuffer(const GlBuffer&) = delete;
  GlBuffer& operator=(const GlBuffer&) = delete;
};

TEST(InteropGpu, AGpuBatchWrittenThroughGlGivesTheHostConversionsBytes) {
#ifndef EBM_HAVE_EGL
  GTEST_SKIP() << "built without CUDA-GL interop / EGL";
#else
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  std::string why;
  auto gl = HeadlessGl::create(&why);
  if (!gl) GTEST_SKIP() << "no headless GL context: " << why;
  std::cout << "GL renderer: " << gl->renderer() << "\n";

  AtlasLayout layout;
  layout.count = 10;
  layout.cols = 4;
  layout.rows = 3;
  layout.cell_w = layout.cell_h = 64;
  const std::size_t rgba_bytes = static_cast<std::size_t>(layout.width()) * layout.height() * 4;
  const std::size_t field_bytes = static_cast<std::size_t>(layout.width()) * layout.height() * sizeof(float);
  GlBuffer slots[2] = {GlBuffer(gl.get(), rgba_bytes), GlBuffer(gl.get(), rgba_bytes)};
  CudaGlBuffer regs[2] = {CudaGlBuffer(slots[0].id, rgba_bytes, 0), CudaGlBuffer(slots[1].id, rgba_bytes, 0)};

  torch::manual_seed(0);
  for (int frame = 0; frame < 4; ++frame) {
    // Values beyond [0, 1] too: the clamp and the rounding must match the host's.
    auto images = (torch::rand({layout.count, 3, 64, 64}) * 1.2 - 0.1);
    auto host = torch::empty({layout.height(), layout.width(), 4}, torch::kUInt8);
    fill_rgba_atlas(images, layout, host);
    auto gpu_images = images.to(torch::kCUDA);
    CudaGlBuffer& reg = regs[frame % 2];
    reg.fill([&](torch::Tensor& bytes) {
      torch::Tensor view = bytes.view({layout.height(), layout.width(), 4});
      fill_rgba_atlas(gpu_images, layout, view);
    });
    gl->finish();
    const auto got = gl->read_buffer(slots[frame % 2].id, rgba_bytes);
    ASSERT_EQ(std::memcmp(got.data(), host.data_ptr<std::uint8_t>(), rgba_bytes), 0) << "frame " << frame;
  }

  GlBuffer field_buf(gl.get(), field_bytes);
  CudaGlBuffer field_reg(field_buf.id, field_bytes, 0);
  auto fields = torch::randn({layout.count, 64, 64});
  auto host = torch::empty({layout.height(), layout.width()}, torch::kFloat);
  fill_scalar_atlas(fields, layout, host, -1.f);
  auto gpu_fields = fields.to(torch::kCUDA);
  field_reg.fill([&](torch::Tensor& bytes) {
    torch::Tensor view = bytes.view(torch::kFloat).view({layout.height(), layout.width()});
    fill_scalar_atlas(gpu_fields, layout, view, -1.f);
  });
  gl->finish();
  const auto got = gl->read_buffer(field_buf.id, field_bytes);
  EXPECT_EQ(std::memcmp(got.data(), host.data_ptr<float>(), field_bytes), 0);
#endif
}

}  // namespace
}  // namespace ebm::gpu
