#include "engine/sampling/walk_presets.h"

#include <stdexcept>

namespace ebm {

namespace {

// An Euler walk with `top` corrector steps of r at σ_max, `euler` Euler steps with churn 20, the
// denoise. Its corrector-ladder fields keep LadderOptions' defaults.
LadderOptions euler_walk(std::int64_t top, double r, int euler) {
  LadderOptions o;
  o.walk = LadderWalk::Euler;
  o.euler_top_steps = top;
  o.r = r;
  o.euler_steps = euler;
  o.churn = 20;
  return o;
}

bool same_walk(const LadderOptions& a, const LadderOptions& b) {
  if (a.walk != b.walk || a.r != b.r) return false;
  if (a.walk == LadderWalk::Euler)
    return a.euler_steps == b.euler_steps && a.churn == b.churn && a.euler_top_steps == b.euler_top_steps &&
           a.rho == b.rho && a.heun == b.heun && a.euler_corrector_steps == b.euler_corrector_steps &&
           (a.euler_corrector_steps == 0 || a.euler_corrector_r == b.euler_corrector_r);
  return a.levels == b.levels && a.steps_per_level == b.steps_per_level && a.top_steps == b.top_steps &&
         a.predictor == b.predictor && a.temperature == b.temperature &&
         top_steps_temperature(a) == top_steps_temperature(b);
}

}  // namespace

// 16 top steps of 0.5·σ²: twice the Langevin time (steps × r) of the old 40 × 0.1, in 40 % of the steps.
LadderOptions draft_ladder() { return euler_walk(16, 0.5, 10); }

LadderOptions quick_ladder() { return euler_walk(24, 0.6, 14); }

LadderOptions final_ladder() { return LadderOptions{}; }

LadderOptions ladder_for_quality(const std::string& quality) {
  if (quality == "draft") return draft_ladder();
  if (quality == "quick") return quick_ladder();
  if (quality == "final") return final_ladder();
  throw std::invalid_argument("unknown quality '" + quality + "' (expected draft, quick or final)");
}

std::string quality_of(const LadderOptions& l) {
  for (const char* q : {"draft", "quick", "final"})
    if (same_walk(l, ladder_for_quality(q))) return q;
  return "custom";
}

}  // namespace ebm
