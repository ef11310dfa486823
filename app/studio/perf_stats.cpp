#include "app/studio/perf_stats.h"

#include "app/common/quantile.h"

#include <algorithm>
#include <cstdio>
#include <unistd.h>

namespace ebm::studio {

void FrameStats::add_frame(double seconds) {
  dt_[head_] = seconds;
  head_ = (head_ + 1) % kWindow;
  n_ = std::min(n_ + 1, kWindow);
  ++total_;
}

double FrameStats::fps() const {
  double sum = 0.0;
  for (size_t i = 0; i < n_; ++i) sum += dt_[i];
  return sum > 0.0 ? static_cast<double>(n_) / sum : 0.0;
}

double FrameStats::mean_ms() const {
  if (n_ == 0) return 0.0;
  double sum = 0.0;
  for (size_t i = 0; i < n_; ++i) sum += dt_[i];
  return 1000.0 * sum / static_cast<double>(n_);
}

double FrameStats::max_ms() const {
  double m = 0.0;
  for (size_t i = 0; i < n_; ++i) m = std::max(m, dt_[i]);
  return 1000.0 * m;
}

void SamplingFrames::add(double frame_seconds, double busy_seconds) {
  if (frame_s_.size() >= kMaxFrames) return;
  frame_s_.push_back(static_cast<float>(frame_seconds));
  busy_s_.push_back(static_cast<float>(busy_seconds));
}

double SamplingFrames::fps() const {
  double sum = 0.0;
  for (float s : frame_s_) sum += s;
  return sum > 0.0 ? static_cast<double>(frame_s_.size()) / sum : 0.0;
}

double SamplingFrames::busy_ms_quantile(double q) const { return 1000.0 * nearest_rank_quantile(busy_s_, q); }
double SamplingFrames::frame_ms_quantile(double q) const { return 1000.0 * nearest_rank_quantile(frame_s_, q); }

size_t host_resident_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int got = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (got != 2) return 0;
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

const char* format_bytes(size_t bytes, char* buf, size_t len) {
  const double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024.0 * 1024.0) std::snprintf(buf, len, "%.2f GiB", b / (1024.0 * 1024.0 * 1024.0));
  else if (b >= 1024.0 * 1024.0) std::snprintf(buf, len, "%.0f MiB", b / (1024.0 * 1024.0));
  else std::snprintf(buf, len, "%.0f KiB", b / 1024.0);
  return buf;
}

}  // namespace ebm::studio
