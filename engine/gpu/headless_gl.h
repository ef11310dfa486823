// HeadlessGl: an OpenGL context without a window or display (EGL on the GPU's EGL device, a 1×1
// pbuffer), current on the thread that created it. For the interop round-trip test and
// `ebm bench`'s preview rows on a GPU machine with no display; the studio has its own window.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ebm::gpu {

class HeadlessGl {
 public:
  // A context on the first EGL device, made current on this thread; nullptr (and *why says what
  // failed) when the build has no EGL or the driver offers no device.
  static std::unique_ptr<HeadlessGl> create(std::string* why);
  ~HeadlessGl();
  HeadlessGl(const HeadlessGl&) = delete;
  HeadlessGl& operator=(const HeadlessGl&) = delete;

  std::string renderer() const;  // GL_RENDERER, e.g. "NVIDIA H200/PCIe/SSE2"
  // A GL pixel-unpack buffer of `bytes` in this context (0 without EGL); delete_buffer frees it.
  unsigned int create_buffer(std::size_t bytes);
  void delete_buffer(unsigned int id);
  // The first `bytes` of buffer `id`, read back to host memory (glGetBufferSubData).
  std::vector<std::uint8_t> read_buffer(unsigned int id, std::size_t bytes);
  void finish();  // glFinish

 private:
  HeadlessGl();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ebm::gpu
