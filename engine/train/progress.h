// Training progress on the terminal: a one-line bar redrawn in place on a TTY (iteration, loss,
// energies, it/s, ETA), plain lines at log points otherwise (CI logs, `| tee`, files).
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace ebm::train {

class Progress {
 public:
  // `enabled` false: nothing is printed. `tty` decides the style (use stderr_is_tty()).
  Progress(bool enabled, bool tty, int64_t total);

  // Per-iteration refresh of the bar (TTY only; at most ~10 redraws a second).
  void tick(int64_t iteration, double it_per_s);
  // New statistics (at log points): updates the bar's values, and prints a plain line off-TTY.
  void stats(int64_t iteration, const std::vector<std::pair<std::string, double>>& values, double it_per_s);
  // A message on its own line (the bar is redrawn after it).
  void message(const std::string& text);
  void finish();

  static bool stderr_is_tty();
  static std::string format_duration(double seconds);  // "1:02:03" / "4:05"

 private:
  std::string line(int64_t iteration, double it_per_s) const;
  void draw(const std::string& s);

  bool enabled_, tty_;
  int64_t total_;
  std::string values_;
  double last_draw_ = -1;
  bool bar_visible_ = false;
};

}  // namespace ebm::train
