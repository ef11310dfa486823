#include "engine/sampling/schedule.h"

#include "engine/sampling/euler_schedule.h"

#include "engine/sampling/sampler_params.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ebm {

std::string to_string(LadderWalk w) { return w == LadderWalk::Euler ? "euler" : "corrector"; }

LadderWalk ladder_walk_from_string(const std::string& s) {
  if (s == "corrector") return LadderWalk::Corrector;
  if (s == "euler") return LadderWalk::Euler;
  throw std::invalid_argument("unknown ladder walk '" + s + "' (expected corrector or euler)");
}

Schedule denoising_schedule(const std::vector<ModelInfo>& models, const LadderOptions& ladder) {
  double lo = 0, hi = 0;
  bool any = false;
  for (const auto& m : models) {
    if (!m.denoising) continue;
    lo = any ? std::max(lo, m.sigma_min) : m.sigma_min;
    hi = any ? std::min(hi, m.sigma_max) : m.sigma_max;
    any = true;
  }
  if (!any) return {};
  if (!(hi >= lo && lo > 0))
    throw std::invalid_argument("the denoising models were trained on disjoint noise ranges; give the recipe a schedule");
  if (ladder.walk == LadderWalk::Euler) {
    EulerWalkOptions e;
    e.steps = ladder.euler_steps;
    e.rho = ladder.rho;
    e.churn = ladder.churn;
    e.top_steps = ladder.euler_top_steps;
    e.r = ladder.r;
    e.heun = ladder.heun;
    e.corrector_steps = ladder.euler_corrector_steps;
    e.corrector_r = ladder.euler_corrector_r;
    return euler_schedule(hi, lo, e);
  }
  if (ladder.predictor || ladder.top_steps > 0) return predictor_corrector_schedule(hi, lo, ladder);
  // geometric_schedule's step is eps·(σ/σ_min)²: eps = r·σ_min² gives r·σ² at every level.
  return geometric_schedule(hi, lo, ladder.levels, ladder.steps_per_level, ladder.r * lo * lo, ladder.temperature);
}

Schedule predictor_corrector_schedule(double sigma_max, double sigma_min, const LadderOptions& opt) {
  if (!(sigma_max >= sigma_min && sigma_min > 0) || opt.levels < 1)
    throw std::invalid_argument("a noise ladder needs sigma_max >= sigma_min > 0 and levels >= 1");
  if (opt.steps_per_level < 0 || opt.steps_per_level > kMaxSteps || opt.top_steps < 0 || opt.top_steps > kMaxSteps)
    throw std::invalid_argument("corrector steps per level and top steps must be in [0, " + std::to_string(kMaxSteps) + "]");
  if (!(opt.r > 0) || !std::isfinite(opt.r)) throw std::invalid_argument("the corrector step factor r must be > 0");
  if (!(opt.temperature > 0) || !(opt.temperature <= 10))
    throw std::invalid_argument("the ladder's temperature must be in (0, 10]");
  if (!(opt.top_temperature >= 0) || !(opt.top_temperature <= 10))
    throw std::invalid_argument("the top steps' temperature must be in [0, 10] (0: the ladder's temperature)");
  if (!opt.predictor && opt.steps_per_level < 1)
    throw std::invalid_argument("a corrector-only ladder needs at least one step per level");
  const std::vector<double> sigma = sigma_ladder(sigma_max, sigma_min, opt.levels);
  Schedule s;
  auto push = [&s](std::int64_t steps, double sg, double lr, double noise_var) {
    if (steps > 0) s.levels.push_back({steps, sg, lr, std::sqrt(std::max(noise_var, 0.0))});
  };
  double carried_var = 0;  // the last predictor's noise, drawn by the next step
  auto corrector = [&](std::int64_t steps, double sg, double temperature) {
    if (steps <= 0) return;
    const double eps = opt.r * sg * sg;
    const double var = 2 * eps * temperature;
    if (carried_var == 0) {
      push(steps, sg, eps, var);
    } else {
      push(1, sg, eps, carried_var + var);
      push(steps - 1, sg, eps, var);
    }
    carried_var = 0;
  };
  corrector(opt.top_steps, sigma.front(), top_steps_temperature(opt));
  for (size_t k = 0; k < sigma.size(); ++k) {
    corrector(opt.steps_per_level, sigma[k], opt.temperature);
    if (!opt.predictor) continue;
    const double next = k + 1 < sigma.size() ? sigma[k + 1] : 0.0;
    const double dvar = sigma[k] * sigma[k] - next * next;
    push(1, sigma[k], dvar, carried_var);
    carried_var = k + 1 < sigma.size() ? dvar : 0.0;
  }
  return s;
}

Schedule schedule_from_sigma(const Schedule& s, double sigma, bool top_steps_at_entry) {
  if (!s.annealed()) return s;
  // A relative tolerance, so a σ written to a recipe and read back cuts at the same level.
  const double limit = sigma * (1 + 1e-9);
  auto first = std::find_if(s.levels.begin(), s.levels.end(), [&](const ScheduleLevel& l) { return l.sigma <= limit; });
  if (first == s.levels.end()) first = s.levels.end() - 1;
  Schedule cut{std::vector<ScheduleLevel>(first, s.levels.end())};
  // The walk's top steps, when the cut drops them, move to the entry level with the same r (step size
  // and noise scaled by the level's σ): an edit's region is redrawn almost from noise, and its object
  // forms in those steps as a chain from noise forms it at σ_max.
  const ScheduleLevel& top = s.levels.front();
  if (top_steps_at_entry && first != s.levels.begin() && top.steps > first->steps && top.sigma > 0) {
    const double f = first->sigma / top.sigma;
    cut.levels.insert(cut.levels.begin(), ScheduleLevel{top.steps, first->sigma, top.step_lr * f * f, top.noise_std * f});
  }
  return cut;
}

bool same_schedule(const Schedule& a, const Schedule& b) {
  if (a.levels.size() != b.levels.size()) return false;
  for (size_t i = 0; i < a.levels.size(); ++i) {
    const auto &x = a.levels[i], &y = b.levels[i];
    if (x.steps != y.steps || x.sigma != y.sigma || x.step_lr != y.step_lr || x.noise_std != y.noise_std ||
        x.heun_sigma != y.heun_sigma)
      return false;
  }
  return true;
}

std::int64_t schedule_evaluations(const Schedule& s, std::int64_t constant_steps) {
  if (!s.annealed()) return constant_steps;
  std::int64_t n = 0;
  for (const auto& l : s.levels) n += l.steps * (l.heun_sigma > 0 ? 2 : 1);
  return n;
}

Schedule geometric_schedule(double sigma_max, double sigma_min, int levels, std::int64_t steps_per_level, double eps,
                            double temperature) {
  if (!(sigma_max >= sigma_min && sigma_min > 0) || levels < 1 || steps_per_level < 1 || !(eps > 0))
    throw std::invalid_argument("geometric schedule needs sigma_max >= sigma_min > 0, levels >= 1, steps >= 1, eps > 0");
  if (!(temperature > 0) || !(temperature <= 10)) throw std::invalid_argument("the ladder's temperature must be in (0, 10]");
  Schedule s;
  for (double sigma : sigma_ladder(sigma_max, sigma_min, levels)) {
    double lr = eps * (sigma / sigma_min) * (sigma / sigma_min);
    s.levels.push_back({steps_per_level, sigma, lr, std::sqrt(2.0 * lr * temperature)});
  }
  return s;
}

std::vector<double> sigma_ladder(double sigma_max, double sigma_min, int levels) {
  if (levels < 1 || !(sigma_min > 0) || !(sigma_max >= sigma_min))
    throw std::invalid_argument("sigma ladder: need levels >= 1 and 0 < sigma_min <= sigma_max");
  std::vector<double> s(static_cast<size_t>(levels));
  for (int i = 0; i < levels; ++i)
    s[static_cast<size_t>(i)] =
        levels == 1 ? sigma_max : sigma_max * std::pow(sigma_min / sigma_max, static_cast<double>(i) / (levels - 1));
  return s;
}

}  // namespace ebm
