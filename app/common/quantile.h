// Nearest-rank quantile of a sample (q in [0, 1]: 0.5 the median, 1 the maximum), 0 for no values.
// Takes a copy to partially sort: for reports and benchmark rows, not per-frame paths.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace ebm {

template <class T>
double nearest_rank_quantile(std::vector<T> v, double q) {
  if (v.empty()) return 0.0;
  const double r = std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1);
  auto nth = v.begin() + static_cast<std::ptrdiff_t>(r + 0.5);
  std::nth_element(v.begin(), nth, v.end());
  return static_cast<double>(*nth);
}

}  // namespace ebm
