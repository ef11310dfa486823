// Curve plotting arithmetic: ranges, log axis, ticks, hover lookup.
#include "app/studio/curve_math.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace ebm::studio;

TEST(Curves, RangeCoversValuesAndBands) {
  Series s;
  s.x = {0, 1, 2};
  s.y = {1, 2, 3};
  s.lo = {0.5, 1.5, 2.5};
  s.hi = {1.5, 2.5, 4.0};
  auto r = y_range({s}, false);
  EXPECT_LE(r.lo, 0.5);
  EXPECT_GE(r.hi, 4.0);
  EXPECT_NEAR(r.to_unit(r.lo), 0.0, 1e-12);
  EXPECT_NEAR(r.to_unit(r.from_unit(0.3)), 0.3, 1e-12);
  s.visible = false;
  auto empty = y_range({s}, false);
  EXPECT_EQ(empty.lo, 0.0);
  EXPECT_EQ(empty.hi, 1.0);
}

TEST(Curves, LogAxisIgnoresNonPositive) {
  Series s;
  s.x = {0, 1, 2};
  s.y = {-5, 0.01, 100};
  auto r = y_range({s}, true);
  EXPECT_TRUE(r.log);
  EXPECT_GT(r.lo, 0);
  EXPECT_LT(r.lo, 0.01);
  EXPECT_GT(r.hi, 100);
  EXPECT_NEAR(r.to_unit(std::sqrt(r.lo * r.hi)), 0.5, 1e-9);  // geometric midpoint
  EXPECT_EQ(r.to_unit(-1), 0.0);
}

TEST(Curves, NiceTicks) {
  auto t = nice_ticks({0.0, 10.0, false}, 5);
  ASSERT_FALSE(t.empty());
  EXPECT_DOUBLE_EQ(t.front(), 0.0);
  EXPECT_DOUBLE_EQ(t[1] - t[0], 2.0);
  auto lt = nice_ticks({0.05, 2000.0, true}, 5);
  EXPECT_EQ(lt, (std::vector<double>{0.1, 1.0, 10.0, 100.0, 1000.0}));
  auto neg = nice_ticks({-0.37, 0.42, false}, 4);
  for (double v : neg) EXPECT_TRUE(v >= -0.37 && v <= 0.42);
  EXPECT_NE(std::find(neg.begin(), neg.end(), 0.0), neg.end());
}

TEST(Curves, NearestIndex) {
  std::vector<double> xs = {0, 10, 20, 30};
  EXPECT_EQ(nearest_index(xs, -5), 0);
  EXPECT_EQ(nearest_index(xs, 14), 1);
  EXPECT_EQ(nearest_index(xs, 16), 2);
  EXPECT_EQ(nearest_index(xs, 99), 3);
  EXPECT_EQ(nearest_index({}, 1), -1);
}

TEST(Curves, FormatValue) {
  EXPECT_EQ(format_value(1.5), "1.5");
  EXPECT_EQ(format_value(0.0), "0");
  EXPECT_EQ(format_value(123456.0), "1.235e+05");
  EXPECT_EQ(format_value(-0.0001234), "-1.234e-04");
}
