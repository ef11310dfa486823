#include "app/cli/step_rule_flags.h"

namespace ebm::cli {

void StepRuleFlags::apply(SamplerParams& p) const {
  if (rule) p.step_rule = step_rule_from_string(*rule);
  if (leapfrog_steps) p.leapfrog_steps = *leapfrog_steps;
}

void add_step_rule_flags(CLI::App* sub, StepRuleFlags& flags, const std::string& what_recipe_does) {
  sub->add_option("--step-rule", flags.rule,
                  "langevin, mala (Metropolis-adjusted steps, exact for exp(-E/T), twice the energy evaluations) or "
                  "hmc (Hamiltonian Monte Carlo); " + what_recipe_does + "; docs/engine.md");
  sub->add_option("--leapfrog-steps", flags.leapfrog_steps, "hmc: leapfrog steps per accept test (1 … 100; default 3)");
}

}  // namespace ebm::cli
