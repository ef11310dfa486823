// --step-rule and --leapfrog-steps, shared by `ebm sample` and `ebm eval` (the sampler's step rule:
// SamplerParams::step_rule, docs/engine.md).
#pragma once

#include "engine/sampling/sampler_params.h"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace ebm::cli {

struct StepRuleFlags {
  std::optional<std::string> rule;
  std::optional<int> leapfrog_steps;
  // Writes the given flags into `p` (what was not given stays). Throws std::invalid_argument naming
  // an unknown rule.
  void apply(SamplerParams& p) const;
};

// `what_recipe_does` ends the --step-rule help: what the flag does to a recipe's own rule.
void add_step_rule_flags(CLI::App* sub, StepRuleFlags& flags, const std::string& what_recipe_does);

}  // namespace ebm::cli
