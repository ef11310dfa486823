#include "app/cli/ladder_flags.h"

#include "engine/recipe/default_walk.h"

#include <algorithm>
#include <stdexcept>

namespace ebm::cli {

bool WalkFlags::is_named() const {
  return named || std::any_of(flags.begin(), flags.end(), [](const CLI::Option* o) { return o->count() > 0; });
}

LadderOptions WalkFlags::for_composition(const Node& composition) const {
  return is_named() ? ladder : default_walk(composition);
}

std::string WalkFlags::why(const Node& composition) const {
  if (is_named()) return "";
  return "; the " + default_walk_name(composition) + " walk, the default " +
         (composes_around_one_prior(composition) ? "around one prior" : "for summed energies");
}

void add_ladder_flags(CLI::App* sub, WalkFlags& walk) {
  LadderOptions& ladder = walk.ladder;
  bool& named = walk.named;
  // First: CLI11 runs the callbacks in the order the options were added, so walk flags given beside
  // --draft change the draft rather than being replaced by it.
  sub->add_option_function<std::string>(
         "--quality",
         [&ladder, &named](const std::string& q) {
           named = q != "auto";
           ladder = named ? ladder_for_quality(q) : final_ladder();
         },
         "denoising models: auto (the default: quick for a composition around one prior, final otherwise), draft "
         "(27 steps, a composition in seconds on a CPU), quick (39 steps: 24 top steps of r 0.6, 14 Euler steps with "
         "churn 20, the denoise; the best walk for colour compositions and three or four concepts around one prior) "
         "or final (the 400-step annealed ladder: 200 top steps, 40 levels x 5); walk flags given beside it change "
         "it, and without it the final ladder")
      ->check(CLI::IsMember({"auto", "draft", "quick", "final"}));
  sub->add_flag_callback(
      "--draft", [&ladder, &named] { ladder = draft_ladder(), named = true; }, "the same as --quality draft");
  sub->add_option_function<std::string>(
         "--walk", [&ladder](const std::string& w) { ladder.walk = ladder_walk_from_string(w); },
         "denoising models: corrector (annealed Langevin on the ladder, the default) or euler (Euler steps of the "
         "probability-flow ODE on Karras-spaced noise levels: one network evaluation per step)")
      ->check(CLI::IsMember({"corrector", "euler"}));
  sub->add_option("--euler-steps", ladder.euler_steps, "--walk euler: Euler steps from the top noise level to the last")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  sub->add_option("--rho", ladder.rho, "--walk euler: Karras spacing exponent (larger: more steps at low noise)")
      ->check(CLI::Range(0.1, 100.0))
      ->capture_default_str();
  sub->add_option("--churn", ladder.churn, "--walk euler: EDM's stochastic churn S_churn (0: deterministic)")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  sub->add_option("--euler-top-steps", ladder.euler_top_steps,
                  "--walk euler: corrector steps at the top noise level before the Euler steps")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  sub->add_flag("--heun", ladder.heun,
                "--walk euler: Heun's second-order steps (EDM): two network evaluations per step but the last, "
                "as accurate with far fewer steps");
  sub->add_option("--euler-corrector-steps", ladder.euler_corrector_steps,
                  "--walk euler: Langevin (corrector) steps after each Euler step, at the noise level it ends on")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  sub->add_option("--euler-corrector-r", ladder.euler_corrector_r,
                  "--walk euler: those corrector steps' size r*sigma^2 (noise sqrt(2r)*sigma)")
      ->check(CLI::Range(1e-6, 10.0))
      ->capture_default_str();
  sub->add_option("--levels", ladder.levels, "denoising models: noise levels of the annealed ladder")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  sub->add_option("--steps-per-level", ladder.steps_per_level,
                  "denoising models: Langevin (corrector) steps per noise level (0 with --predictor: predictor only)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  sub->add_option("--corrector-r", ladder.r, "denoising models: corrector step size r·σ²")
      ->check(CLI::Range(1e-6, 10.0))
      ->capture_default_str();
  sub->add_flag("--predictor", ladder.predictor,
                "denoising models: a reverse-diffusion move between levels and a final denoise (predictor–corrector)");
  sub->add_option("--top-steps", ladder.top_steps, "denoising models: extra corrector steps at the highest noise level first")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  sub->add_option("--temperature", ladder.temperature,
                  "denoising models: the corrector steps sample exp(-E/T) at each level (noise sqrt(2rT)*sigma); "
                  "below 1 sharper, less varied")
      ->check(CLI::Range(1e-3, 10.0))
      ->capture_default_str();
  sub->add_option("--top-temperature", ladder.top_temperature,
                  "denoising models: the top steps' own temperature (0: --temperature's); more noise where objects "
                  "take their shape")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  // Any of these given names the walk (the final ladder changed), as --quality does.
  for (const char* name : {"--walk", "--euler-steps", "--rho", "--churn", "--euler-top-steps", "--heun", "--euler-corrector-steps",
                           "--euler-corrector-r", "--levels",
                           "--steps-per-level", "--corrector-r", "--predictor", "--top-steps", "--temperature",
                           "--top-temperature"})
    walk.flags.push_back(sub->get_option(name));
}

std::string describe_ladder(const LadderOptions& ladder, std::int64_t total_steps) {
  if (ladder.walk == LadderWalk::Euler)
    return std::to_string(ladder.euler_steps) + (ladder.heun ? " Heun" : " Euler") + " steps (rho " + std::to_string(ladder.rho).substr(0, 4) +
           (ladder.churn > 0 ? ", churn " + std::to_string(ladder.churn).substr(0, 5) : std::string()) + ")" +
           (ladder.euler_corrector_steps > 0
                ? " each followed by " + std::to_string(ladder.euler_corrector_steps) + " corrector step" +
                      (ladder.euler_corrector_steps > 1 ? "s" : "")
                : std::string()) +
           (ladder.euler_top_steps > 0 ? " after " + std::to_string(ladder.euler_top_steps) + " top steps" : "") +
           ", then the denoise: " + std::to_string(total_steps) + " steps";
  return std::to_string(ladder.levels) + " noise levels" + (ladder.predictor ? " with predictor moves" : "") + ", " +
         std::to_string(ladder.top_steps) + " top steps, " + std::to_string(total_steps) + " steps" +
         (ladder.temperature != 1.0 ? ", temperature " + std::to_string(ladder.temperature) : "") +
         (ladder.top_steps > 0 && top_steps_temperature(ladder) != ladder.temperature
              ? ", top temperature " + std::to_string(top_steps_temperature(ladder))
              : "");
}

void apply_step_count(std::int64_t steps, SamplerParams& p) {
  if (p.schedule.annealed())
    throw std::invalid_argument("--steps: the recipe has an annealed schedule; its levels set the step count");
  if (steps < 1) throw std::invalid_argument("--steps must be at least 1");
  p.steps = steps;
}

LadderOptions ladder_in_steps(const LadderOptions& ladder, std::int64_t steps) {
  if (steps < 2)
    throw std::invalid_argument("--steps " + std::to_string(steps) +
                                ": denoising models need at least 2 steps (Euler steps and the final denoise)");
  LadderOptions out = ladder;
  out.walk = LadderWalk::Euler;
  out.euler_steps = static_cast<int>(steps - 1);
  out.euler_top_steps = 0;
  return out;
}

}  // namespace ebm::cli
