#include "app/studio/curve_math.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace ebm::studio {

double AxisRange::to_unit(double v) const {
  if (log) {
    if (!(v > 0.0)) return 0.0;
    const double a = std::log10(lo), b = std::log10(hi);
    return b > a ? (std::log10(v) - a) / (b - a) : 0.5;
  }
  return hi > lo ? (v - lo) / (hi - lo) : 0.5;
}

double AxisRange::from_unit(double u) const {
  if (log) return std::pow(10.0, std::log10(lo) + u * (std::log10(hi) - std::log10(lo)));
  return lo + u * (hi - lo);
}

AxisRange y_range(const std::vector<Series>& series, bool log) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  auto take = [&](const std::vector<double>& vs) {
    for (double v : vs) {
      if (!std::isfinite(v) || (log && v <= 0.0)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  };
  for (const auto& s : series) {
    if (!s.visible) continue;
    take(s.y);
    take(s.lo);
    take(s.hi);
  }
  AxisRange r;
  r.log = log;
  if (!(lo <= hi)) {
    r.lo = log ? 0.1 : 0.0;
    r.hi = log ? 10.0 : 1.0;
    return r;
  }
  if (log) {
    // Pad by 5 % of the range in decades; keep at least a factor of 10 visible.
    double a = std::log10(lo), b = std::log10(hi);
    if (b - a < 1.0) {
      const double mid = 0.5 * (a + b);
      a = mid - 0.5;
      b = mid + 0.5;
    }
    const double pad = 0.05 * (b - a);
    r.lo = std::pow(10.0, a - pad);
    r.hi = std::pow(10.0, b + pad);
    return r;
  }
  double span = hi - lo;
  if (span <= 0.0) span = std::max(std::fabs(hi) * 0.1, 1e-6);  // a flat line still gets an axis
  r.lo = lo - 0.05 * span;
  r.hi = hi + 0.05 * span;
  return r;
}

AxisRange x_range(const std::vector<Series>& series) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : series) {
    if (!s.visible || s.x.empty()) continue;
    lo = std::min(lo, s.x.front());
    hi = std::max(hi, s.x.back());
  }
  if (!(lo <= hi)) return {0.0, 1.0, false};
  if (hi == lo) hi = lo + 1.0;
  return {lo, hi, false};
}

std::vector<double> nice_ticks(const AxisRange& r, int target) {
  std::vector<double> out;
  if (!(r.hi > r.lo)) return out;
  if (r.log) {
    const int a = static_cast<int>(std::ceil(std::log10(r.lo) - 1e-9));
    const int b = static_cast<int>(std::floor(std::log10(r.hi) + 1e-9));
    const int every = std::max(1, (b - a + 1 + target - 1) / std::max(target, 1));
    for (int e = a; e <= b; e += every) out.push_back(std::pow(10.0, e));
    return out;
  }
  const double raw = (r.hi - r.lo) / std::max(target, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double step = (norm < 1.5 ? 1.0 : norm < 3.5 ? 2.0 : norm < 7.5 ? 5.0 : 10.0) * mag;
  for (double v = std::ceil(r.lo / step) * step; v <= r.hi + 1e-9 * step; v += step)
    out.push_back(std::fabs(v) < 1e-12 * step ? 0.0 : v);
  return out;
}

int nearest_index(const std::vector<double>& xs, double x) {
  if (xs.empty()) return -1;
  auto it = std::lower_bound(xs.begin(), xs.end(), x);
  if (it == xs.end()) return static_cast<int>(xs.size()) - 1;
  if (it == xs.begin()) return 0;
  auto prev = it - 1;
  return static_cast<int>((x - *prev <= *it - x) ? prev - xs.begin() : it - xs.begin());
}

std::string format_value(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (v != 0.0 && (a < 1e-3 || a >= 1e5)) std::snprintf(buf, sizeof buf, "%.3e", v);
  else std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace ebm::studio
