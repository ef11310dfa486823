// `ebm eval`: grades what a recipe samples with the grading classifier (issue #10 item 4) — n
// samples drawn exactly as `ebm sample` draws them, each classified and compared with the labels of
// the recipe's terms; or `--suite`: the standard single-concept, conjunction and negation cases on the
// shipped concept models. The arithmetic lives in engine/eval/; see docs/training.md "Evaluation".
#include "app/cli/cli_errors.h"
#include "app/cli/commands.h"
#include "app/cli/output_check.h"
#include "app/cli/eval_command.h"
#include "app/cli/ladder_flags.h"
#include "app/cli/step_rule_flags.h"
#include "engine/eval/eval_recipe.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>

namespace ebm::cli {

namespace {

namespace fs = std::filesystem;

void run_recipe(const EvalArgs& a) {
  if (!a.json_out.empty()) check_output_file(a.json_out, "--json-out");
  std::vector<std::string> warnings;
  Recipe r = load_recipe(a.recipe, &warnings);
  for (const auto& w : warnings) std::cerr << "ebm eval: warning: " << w << "\n";
  if (a.seed) r.sampler.seed = *a.seed;
  if (a.device) r.sampler.device = *a.device;
  if (a.precision) r.sampler.precision = checked_precision(*a.precision, r.sampler.device);
  a.step_rule.apply(r.sampler);
  RunnableOptions ro;
  ro.ignore_hash = a.ignore_hash;
  ro.ignore_hash_action = "evaluate";
  std::vector<RecipeNote> notes;
  auto models = load_recipe_models(r, a.recipe, ro, &notes);
  if (!a.quiet)
    for (const auto& n : notes) std::cerr << n.text << "\n";
  LadderOptions ladder = a.walk.for_composition(r.composition);  // ladder_flags.h
  if (a.steps) {
    apply_step_count(*a.steps, r.sampler);
    SamplerParams probe = r.sampler;  // does the models' ladder walk this recipe (denoising models)?
    if (apply_model_schedule(probe, r.composition, info_lookup(models), ladder)) ladder = ladder_in_steps(ladder, *a.steps);
  }
  eval::grade_targets(r.composition, models);  // a recipe that cannot be graded fails before the classifier loads
  nlohmann::json heldout;
  auto grader = load_grader(a, &heldout);
  EvalProgress progress(a.quiet);
  progress.set_run(fs::path(a.recipe).filename().string());
  auto out = eval::evaluate_recipe(fs::path(a.recipe).stem().string(), r, models, *grader, a.n, a.batch,
                                   [&](const eval::SamplingProgress& p) { progress(p); }, ladder);
  if (out.schedule_from_model && !a.quiet)
    std::cerr << "ebm eval: the recipe has a constant schedule; sampled the denoising models with their annealed "
                 "schedule ("
              << describe_ladder(ladder, out.params.total_steps()) << a.walk.why(r.composition)
              << ")\n";
  nlohmann::json j = {{"recipe", a.recipe}, {"n", a.n}, {"seed", out.params.seed}, {"steps", out.params.total_steps()},
                      {"precision", to_string(out.params.precision)}, {"classifier_heldout", heldout}};
  print_results(a, {out.table}, std::move(j));
}

void register_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* sub = app.add_subcommand("eval", "Grade a recipe's samples (or the standard suite) with the grading classifier");
  auto* recipe = sub->add_option("--recipe", a->recipe, "recipe JSON, or a PNG exported by ebm");
  auto* suite = sub->add_flag("--suite", a->suite, "the standard cases: single concepts, conjunctions, a negation");
  recipe->excludes(suite);
  sub->add_option("--models", a->models_dir, "suite: directory of {position,size,shape,color}.safetensors (default: the shipped models)");
  sub->add_option("--classifier", a->classifier, "grading classifier (default: classifier.safetensors of the models directory)");
  sub->add_option("--n", a->n, "samples (suite: per case, split over its target labels)")->capture_default_str();
  sub->add_option("--batch", a->batch, "samples per sampler run (memory vs speed; results do not depend on it)")
      ->capture_default_str();
  sub->add_option("--seed", a->seed, "sampler seed (recipe: overrides the recipe's; suite: default 0)");
  sub->add_option("--device", a->device, "cpu, cuda or cuda:N");
  sub->add_option("--precision", a->precision,
                  "the sampling's arithmetic: fp32, tf32 (the default) or bf16 (docs/gpu.md; on a CPU bf16 only where it "
                  "has bf16 instructions); recipe: overrides the recipe's. The grader's arithmetic is not changed")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16"}));
  sub->add_flag("--json", a->json, "print a JSON object instead of the table");
  sub->add_option("--json-out", a->json_out, "also write the JSON object to this file (atomically; suite: rewritten after every case, \"complete\": false until the last, so a run cut short keeps what it finished)");
  sub->add_flag("--ignore-hash", a->ignore_hash, "evaluate even when a model file differs from the recipe's hash");
  sub->add_flag("--quiet", a->quiet, "no progress output");
  sub->add_option("--labels", a->labels, "suite: target labels per case")->capture_default_str();
  sub->add_option("--label-seed", a->label_seed, "suite: seed of the target labels (default: the split's)");
  sub->add_option("--split", a->split,
                  "suite: tune (seeds to choose settings on), heldout (never tuned on) or both, side by side")
      ->check(CLI::IsMember({"tune", "heldout", "held-out", "both"}))
      ->capture_default_str();
  sub->add_option("--prior", a->prior,
                  "suite: auto (the default: around one prior where a case ANDs colour or three concepts, summed otherwise — the "
                  "rule the model card grades each case on), each (every term's full energy, summed) or shared (one "
                  "prior: the terms' scores composed around the mean of their unconditional energies)")
      ->check(CLI::IsMember({"auto", "each", "shared"}))
      ->capture_default_str();
  sub->add_flag("--one-object", a->one_object,
                "suite: AND the count model (count.safetensors beside the concept models) asking for one object "
                "into every case; the objects-found column grades it");
  sub->add_flag("--place", a->place,
                "suite: cases without a position concept get a position term with any label (a position per "
                "sample, drawn over [-1, 1]², not graded): the object is put somewhere and held there");
  sub->add_option("--count-guidance", a->count_guidance,
                  "suite: with --one-object, the count term's guidance (default: the count model's own)")
      ->check(CLI::Range(0.0, 100.0));
  const auto* steps = sub->add_option(
      "--steps", a->steps,
      "steps per chain, as ebm sample --steps: models without a noise schedule take N Langevin steps (suite default "
      "200; recipe: its own), denoising models N - 1 Euler steps and the final denoise");
  add_ladder_flags(sub, a->walk);
  a->walk.name_by_steps(steps);
  add_step_rule_flags(sub, a->step_rule, "recipe: overrides the recipe's; suite: langevin by default");
  sub->add_flag("--per-label", a->per_label,
                "suite: also a line per target label of each case (all met, found, 2+): which labels a case misses; "
                "the JSON always has them (per_label)");
  sub->add_option("--cases", a->cases, "suite: only these cases, comma-separated (e.g. size,shape,color)")->delimiter(',');
  sub->add_option("--not-coefficient", a->not_coefficient, "suite: c of the negation E_a − c·E_b")->capture_default_str();
  sub->add_option("--guidance", a->guidance,
                  "suite: classifier-free guidance of every term (default: each denoising model's recommended value)")
      ->check(CLI::Range(0.0, 100.0));
  sub->add_option("--concept-weight", a->concept_weight,
                  "suite: a concept's term weight in every case that holds it, e.g. size=1.5 (default 1)")
      ->delimiter(',');
  sub->add_option("--concept-guidance", a->concept_guidance,
                  "suite: a concept's guidance in every case that holds it, e.g. size=9 (before --guidance)")
      ->delimiter(',');
  sub->add_option("--guidance-interval", a->guidance_interval,
                  "suite: the noise levels LO,HI (σ; HI may be inf) where every term's guidance applies, e.g. 0,0.5; "
                  "elsewhere a term is its plain conditional energy (default: each model's own, usually every σ)");
  sub->callback([a] {
    run_command("eval", [&] {
      if (a->recipe.empty() && !a->suite) throw std::invalid_argument("give --recipe FILE or --suite");
      if (!a->suite && (a->place || a->one_object))
        throw std::invalid_argument(std::string(a->place ? "--place" : "--one-object") +
                                    " shapes the suite's cases; use it with --suite (a recipe says its terms itself)");
      if (a->suite)
        run_suite(*a);
      else
        run_recipe(*a);
    });
  });
}

}  // namespace

EBM_CLI_COMMAND(420, register_eval);

}  // namespace ebm::cli
