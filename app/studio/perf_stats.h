// Frame timing and process memory for the perf overlay (pure logic + /proc reads).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

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

// Every frame drawn while the worker samples, for the scripted run's report: does the GUI keep its
// frame rate while the GPU (or CPU) samples? `busy` is the frame's own work (events, poll, upload,
// ImGui, draw) before the frame cap's sleep and the swap; the display's rate bounds fps, so busy time
// is what says how much headroom is left.
class SamplingFrames {
 public:
  static constexpr size_t kMaxFrames = 1u << 20;  // ~4.8 h at 60 fps; later frames are not recorded
  void add(double frame_seconds, double busy_seconds);
  size_t count() const { return frame_s_.size(); }
  double fps() const;                   // frames / their total time, 0 without frames
  double busy_ms_quantile(double q) const;  // q in [0,1]: 0.5 median, 0.99, 1 worst
  double frame_ms_quantile(double q) const;

 private:
  std::vector<float> frame_s_, busy_s_;
};

// Resident set size of this process in bytes (from /proc/self/statm), 0 when unavailable.
size_t host_resident_bytes();
// Human-readable size: "812 MiB", "1.4 GiB".
const char* format_bytes(size_t bytes, char* buf, size_t len);

}  // namespace ebm::studio
