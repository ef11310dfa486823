// Frame statistics of the perf overlay and of the scripted run's report (pure arithmetic).
#include "app/studio/perf_stats.h"

#include <gtest/gtest.h>

using namespace ebm::studio;

TEST(SamplingFrames, QuantilesAreNearestRankInMilliseconds) {
  SamplingFrames f;
  EXPECT_EQ(f.fps(), 0.0);
  EXPECT_EQ(f.busy_ms_quantile(0.5), 0.0);
  // Frames of 10, 20, …, 100 ms; the busy part is half of each.
  for (int i = 1; i <= 10; ++i) f.add(0.010 * i, 0.005 * i);
  EXPECT_EQ(f.count(), 10u);
  EXPECT_NEAR(f.fps(), 10.0 / 0.55, 1e-3);
  EXPECT_NEAR(f.frame_ms_quantile(0.0), 10.0, 1e-3);
  EXPECT_NEAR(f.frame_ms_quantile(0.5), 60.0, 1e-3);  // rank 4.5 rounds to the 6th value
  EXPECT_NEAR(f.frame_ms_quantile(1.0), 100.0, 1e-3);
  EXPECT_NEAR(f.frame_ms_quantile(2.0), 100.0, 1e-3);  // q is clamped to [0, 1]
  EXPECT_NEAR(f.busy_ms_quantile(0.99), 50.0, 1e-3);
}
