// Frame timing and process memory for the perf overlay (pure logic + /proc reads).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ebm::studio {

// Rolling statistics over the last kWindow frames.
class FrameStats {
 public:
  static constexpr size_t kWindow = 120;
  void add_frame(double seconds);
  double fps() const;             // frames per second over the window, 0 before the first frame
  double mean_ms() const;
  double max_ms() const;          // the worst frame in the window (a hitch shows here)
  uint64_t frame_count() const { return total_; }

 private:
  std::array<double, kWindow> dt_{};
  size_t n_ = 0, head_ = 0;
  uint64_t total_ = 0;
};

// Resident set size of this process in bytes (from /proc/self/statm), 0 when unavailable.
size_t host_resident_bytes();
// Human-readable size: "812 MiB", "1.4 GiB".
const char* format_bytes(size_t bytes, char* buf, size_t len);

}  // namespace ebm::studio
