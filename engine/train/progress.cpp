#include "engine/train/progress.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>

namespace ebm::train {

namespace {
double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}
}  // namespace

Progress::Progress(bool enabled, bool tty, int64_t total) : enabled_(enabled), tty_(tty), total_(total) {}

bool Progress::stderr_is_tty() { return isatty(fileno(stderr)) != 0; }

std::string Progress::format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

std::string Progress::line(int64_t it, double ips) const {
  char head[96];
  const double pct = total_ > 0 ? 100.0 * it / total_ : 0;
  std::snprintf(head, sizeof head, "[%lld/%lld %4.1f%%]", static_cast<long long>(it), static_cast<long long>(total_), pct);
  char tail[96];
  const double eta = ips > 0 ? (total_ - it) / ips : -1;
  std::snprintf(tail, sizeof tail, " | %.2f it/s | ETA %s", ips, format_duration(eta).c_str());
  return std::string(head) + values_ + tail;
}

void Progress::draw(const std::string& s) {
  std::fprintf(stderr, "\r\033[K%s", s.c_str());
  std::fflush(stderr);
  bar_visible_ = true;
}

void Progress::tick(int64_t it, double ips) {
  if (!enabled_ || !tty_) return;
  const double t = now_s();
  if (t - last_draw_ < 0.1) return;
  last_draw_ = t;
  draw(line(it, ips));
}

void Progress::stats(int64_t it, const std::vector<std::pair<std::string, double>>& values, double ips) {
  if (!enabled_) return;
  values_.clear();
  for (const auto& kv : values) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " %s %.4g", kv.first.c_str(), kv.second);
    values_ += buf;
  }
  if (tty_) {
    last_draw_ = now_s();
    draw(line(it, ips));
  } else {
    std::fprintf(stderr, "%s\n", line(it, ips).c_str());
    std::fflush(stderr);
  }
}

void Progress::message(const std::string& text) {
  if (!enabled_) return;
  if (tty_ && bar_visible_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
  bar_visible_ = false;
}

void Progress::finish() {
  if (enabled_ && tty_ && bar_visible_) std::fprintf(stderr, "\n");
  bar_visible_ = false;
}

}  // namespace ebm::train
