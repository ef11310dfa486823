// Bytes of CPU tensor memory in use, and the most in use at once, counted exactly: while a
// CpuBytesPeak lives, c10's CPU allocator is wrapped by one that counts every allocation and free
// (a sampling thread reading the heap misses short peaks). Tensors allocated before it are not
// counted; buffers a library allocates itself (oneDNN's scratchpads) neither. A block allocated while
// it lives and freed after it is gone is still freed right (the bookkeeping is static). One at a time.
#pragma once

#include <c10/core/CPUAllocator.h>
#include <torch/version.h>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <unordered_map>

namespace ebm::test {

class CpuBytesPeak : public c10::Allocator {
 public:
  CpuBytesPeak() {
    Books& b = books();
    b.inner = c10::GetCPUAllocator();
    b.in_use = 0;
    b.peak = 0;
    c10::SetCPUAllocator(this, /*priority=*/100);
  }
  ~CpuBytesPeak() override { c10::SetCPUAllocator(books().inner, /*priority=*/100); }
  CpuBytesPeak(const CpuBytesPeak&) = delete;
  CpuBytesPeak& operator=(const CpuBytesPeak&) = delete;

  std::size_t in_use() const { return books().in_use.load(); }
  std::size_t peak() const { return books().peak.load(); }

#if TORCH_VERSION_MAJOR >= 2
  c10::DataPtr allocate(std::size_t n) override { return counted(n); }
  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }
#else
  c10::DataPtr allocate(std::size_t n) const override { return counted(n); }
#endif
  c10::DeleterFnPtr raw_deleter() const override { return &release; }

 private:
  struct Books {
    std::mutex mutex;
    std::unordered_map<void*, std::size_t> sizes;
    std::atomic<std::size_t> in_use{0}, peak{0};
    c10::Allocator* inner = nullptr;  // the allocator wrapped (its blocks have context == data)
  };
  static Books& books() {
    static Books b;
    return b;
  }
  static void release(void* p) {
    Books& b = books();
    std::size_t n = 0;
    {
      std::lock_guard<std::mutex> lock(b.mutex);
      auto it = b.sizes.find(p);
      if (it != b.sizes.end()) n = it->second, b.sizes.erase(it);
    }
    b.in_use -= n;
    b.inner->raw_deallocate(p);
  }
  static c10::DataPtr counted(std::size_t n) {
    Books& b = books();
    void* p = b.inner->raw_allocate(n);
    {
      std::lock_guard<std::mutex> lock(b.mutex);
      b.sizes[p] = n;
    }
    const std::size_t now = (b.in_use += n);
    std::size_t high = b.peak.load();
    while (now > high && !b.peak.compare_exchange_weak(high, now)) {
    }
    return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
  }
};

}  // namespace ebm::test
