// The named walks of walk_presets.h (issue #26): each name gives its walk and is read back from it,
// a changed walk is "custom", and the costs the names promise — the quick walk within issue #26's
// 40 network evaluations per term, the final ladder 400, the draft 27.
#include "engine/sampling/walk_presets.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ebm {
namespace {

std::vector<ModelInfo> one_denoiser() {
  ModelInfo m;
  m.denoising = true;
  m.sigma_min = 0.01;
  m.sigma_max = 1.0;
  return {m};
}

std::int64_t evaluations(const LadderOptions& l) {
  return schedule_evaluations(denoising_schedule(one_denoiser(), l), 0);
}

TEST(WalkPresets, EachNameGivesItsWalkAndIsReadBack) {
  for (const char* q : {"draft", "quick", "final"}) EXPECT_EQ(quality_of(ladder_for_quality(q)), q);
  EXPECT_EQ(quality_of(LadderOptions{}), "final");  // the struct's defaults are the final ladder
  EXPECT_THROW(ladder_for_quality("fast"), std::invalid_argument);
  try {
    ladder_for_quality("quick");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("draft, quick or final"), std::string::npos) << e.what();
  }
}

TEST(WalkPresets, AChangedWalkIsCustomButUnusedFieldsDoNotCount) {
  LadderOptions l = quick_ladder();
  l.euler_steps += 1;
  EXPECT_EQ(quality_of(l), "custom");
  l = quick_ladder();
  l.r = 0.5;
  EXPECT_EQ(quality_of(l), "custom");
  l = quick_ladder();
  l.euler_corrector_r = 0.7;  // no corrector steps to take it
  EXPECT_EQ(quality_of(l), "quick");
  l.euler_corrector_steps = 1;
  EXPECT_EQ(quality_of(l), "custom");
  l = quick_ladder();
  l.levels = 7;  // a corrector-ladder field: the Euler walk does not use it
  EXPECT_EQ(quality_of(l), "quick");
  l = final_ladder();
  l.euler_steps = 3;  // an Euler-walk field: the ladder does not use it
  EXPECT_EQ(quality_of(l), "final");
  l.temperature = 0.5;
  EXPECT_EQ(quality_of(l), "custom");
  l = final_ladder();
  l.top_temperature = l.temperature;  // the top steps at the ladder's own temperature: the same walk
  EXPECT_EQ(quality_of(l), "final");
  l.top_temperature = 1.5;
  EXPECT_EQ(quality_of(l), "custom");
}

TEST(WalkPresets, EvaluationsPerTermAreWhatTheNamesPromise) {
  EXPECT_EQ(evaluations(draft_ladder()), 27);
  EXPECT_EQ(evaluations(quick_ladder()), 39);
  EXPECT_LE(evaluations(quick_ladder()), 40);  // issue #26's bound
  EXPECT_EQ(evaluations(final_ladder()), 400);
  // The quick walk's top steps are r·σ_max² Langevin steps: 0.6 at σ_max 1.
  const Schedule s = denoising_schedule(one_denoiser(), quick_ladder());
  EXPECT_EQ(s.levels.front().steps, 24);
  EXPECT_NEAR(s.levels.front().step_lr, 0.6, 1e-12);
}

}  // namespace
}  // namespace ebm
