// Curve plotting arithmetic for the Curves panel (ImPlot is not packaged, so plots are drawn with
// ImDrawList): value ranges with an optional log scale, "nice" tick values, and the hover lookup.
// Pure functions, unit-tested.
#pragma once

#include <string>
#include <vector>

namespace ebm::studio {

// One plotted series: y per x (x = Langevin step), with an optional min–max band that has its own
// x values (bands exist only at the steps whose per-sample values were published).
struct Series {
  std::string name;
  unsigned color = 0xffffffffu;  // ImGui packed ABGR
  std::vector<double> x, y;
  std::vector<double> band_x, lo, hi;  // empty = no band
  bool visible = true;
};

struct AxisRange {
  double lo = 0.0, hi = 1.0;
  bool log = false;
  // Position of `v` along the axis in [0,1] (outside for values off the range). On a log axis values
  // ≤ 0 map to the bottom (they cannot be drawn; the panel says so).
  double to_unit(double v) const;
  double from_unit(double u) const;
};

// Covers every visible series' y (and band), padded by 5 %; on a log axis only positive values count.
// Returns {0, 1} when there is nothing to show.
AxisRange y_range(const std::vector<Series>& series, bool log);
AxisRange x_range(const std::vector<Series>& series);

// Tick values covering [lo, hi]: steps of 1, 2 or 5 × 10^k on a linear axis (about `target` ticks),
// powers of ten on a log axis.
std::vector<double> nice_ticks(const AxisRange& r, int target = 5);

// Index of the sample whose x is closest to `x` (binary search on sorted xs), -1 when empty.
int nearest_index(const std::vector<double>& xs, double x);

// Compact number for readouts: 4 significant digits, scientific outside [1e-3, 1e5).
std::string format_value(double v);

}  // namespace ebm::studio
