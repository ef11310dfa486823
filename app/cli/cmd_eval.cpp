// `ebm eval`: grades what a recipe samples with the grading classifier (issue #10 item 4) — n
// samples drawn exactly as `ebm sample` draws them, each classified and compared with the labels of
// the recipe's terms; or `--suite`: the standard single-concept, conjunction and negation cases on the
// shipped concept models. The arithmetic lives in engine/eval/; see docs/training.md "Evaluation".
#include "app/cli/cli_errors.h"
#include "app/cli/commands.h"
#include "app/cli/output_check.h"
#include "app/cli/ladder_flags.h"
#include "app/cli/step_rule_flags.h"
#include "engine/eval/eval_recipe.h"
#include "engine/eval/eval_suite.h"
#include "models/checkpoint/atomic_file.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <unistd.h>

#ifndef EBM_ASSETS_DIR
#define EBM_ASSETS_DIR ""
#endif

namespace ebm::cli {

namespace {

namespace fs = std::filesystem;

struct EvalArgs {
  std::string recipe;
  bool suite = false;
  std::string models_dir;
  std::string classifier;
  int64_t n = 256;
  int64_t batch = 64;
  std::optional<uint64_t> seed;
  std::optional<std::string> device;
  bool json = false;
  std::string json_out;
  bool ignore_hash = false;
  bool quiet = false;
  // suite
  int labels = 16;
  std::optional<uint64_t> label_seed;
  std::string split = "tune";      // suite: tune | heldout | both (SuiteSplit)
  std::string prior = "each";      // suite: each | shared (composition.h)
  bool one_object = false;         // suite: AND count.safetensors' "one object" into every case
  bool place = false;              // suite: a placement term in the cases without position
  std::optional<double> count_guidance;
  std::optional<int64_t> steps;  // --steps (ladder_flags.h: apply_step_count, ladder_in_steps)
  LadderOptions ladder = final_ladder();  // how denoising models' noise ladder is walked (recipe and suite)
  std::vector<std::string> cases;  // suite: only these cases (empty: all)
  bool per_label = false;          // suite: a text line per target label too
  double not_coefficient = 0.001;
  std::optional<double> guidance;
  std::string guidance_interval;  // suite: "LO,HI" (empty: each model's own)
  StepRuleFlags step_rule;  // recipe: overrides the recipe's; suite: langevin unless given
};

// Progress on stderr: a redrawn line on a terminal, one line per finished chunk otherwise.
class Progress {
 public:
  explicit Progress(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) == 1) {}
  void set_run(std::string run) { run_ = std::move(run); }
  void operator()(const eval::SamplingProgress& p) {
    if (quiet_) return;
    if (tty_) {
      std::fprintf(stderr, "\r%s  chunk %lld/%lld  step %lld/%lld  %.1f ms/step  E=%.4g   ", run_.c_str(),
                   static_cast<long long>(p.chunk), static_cast<long long>(p.chunks), static_cast<long long>(p.step),
                   static_cast<long long>(p.steps), p.ms_per_step, p.energy);
      if (p.step == p.steps && p.chunk == p.chunks) std::fprintf(stderr, "\n");
    } else if (p.step == p.steps) {
      std::fprintf(stderr, "%s  chunk %lld/%lld done  %lld steps  %.1f ms/step  mean energy %.6g\n", run_.c_str(),
                   static_cast<long long>(p.chunk), static_cast<long long>(p.chunks), static_cast<long long>(p.steps),
                   p.ms_per_step, p.energy);
    }
    std::fflush(stderr);
  }

 private:
  bool quiet_, tty_;
  std::string run_;
};

fs::path models_dir(const EvalArgs& a) {
  if (!a.models_dir.empty()) return a.models_dir;
  return eval::find_models_dir("/proc/self/exe", EBM_ASSETS_DIR);
}

CubesClassifier load_grader(const EvalArgs& a, nlohmann::json* heldout) {
  std::string path = a.classifier;
  if (path.empty()) {
    const auto dir = models_dir(a);
    if (dir.empty())
      throw std::runtime_error("no grading classifier: no models directory found (assets/models, $EBM_STUDIO_MODELS); "
                               "train one with `ebm train-classifier --out classifier.safetensors` and pass "
                               "--classifier classifier.safetensors");
    path = (dir / "classifier.safetensors").string();
  }
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw std::runtime_error("no grading classifier at " + path + "; train one with `ebm train-classifier --out " +
                             path + "` (docs/training.md) or pass --classifier FILE");
  return load_classifier(path, heldout);
}

// The grader's own held-out figures (its file's metadata), so a reader sees how fine the ruler is.
std::string describe_grader(const nlohmann::json& h) {
  if (!h.is_object() || !h.contains("position_error")) return "grader: no held-out figures in its file\n";
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "grader (%lld held-out renders): position error %.3f, size error %.4f, shape %.1f %%, colour %.1f %%",
                static_cast<long long>(h.value("n", int64_t{0})), h.value("position_error", -1.0),
                h.value("size_error", -1.0), 100 * h.value("shape_accuracy", -1.0), 100 * h.value("color_accuracy", -1.0));
  std::string s = buf;
  if (h.contains("count_accuracy_empty")) {
    // Files before n_count was recorded held a quarter of n of each count.
    const auto n_count = h.value("n_count", h.value("n", int64_t{0}) / 4);
    std::snprintf(buf, sizeof buf, "; counts read right (%lld renders of each): empty %.1f %%, one %.1f %%, two %.1f %%",
                  static_cast<long long>(n_count), 100 * h.value("count_accuracy_empty", -1.0),
                  100 * h.value("count_accuracy_one", -1.0), 100 * h.value("count_accuracy_two", -1.0));
    s += buf;
    if (h.contains("count_accuracy_two_visible")) {
      std::snprintf(buf, sizeof buf, " (%.1f %% of the %lld with both objects at least half visible)",
                    100 * h.value("count_accuracy_two_visible", -1.0),
                    static_cast<long long>(h.value("n_two_visible", int64_t{0})));
      s += buf;
    }
  } else {
    s += "; it does not count objects (objects found by an image reading)";
  }
  return s + "\n";
}

void print_results(const EvalArgs& a, const std::vector<eval::GradeTable>& tables, nlohmann::json j) {
  j["tables"] = tables;
  if (!a.json_out.empty()) write_file_atomic(a.json_out, j.dump(2) + "\n");
  if (a.json)
    std::cout << j.dump(2) << "\n";
  else
    std::cout << describe_grader(j.value("classifier_heldout", nlohmann::json())) << eval::format_tables(tables);
}

constexpr int64_t kSuiteLangevinSteps = 200;  // the suite's chains for models without a noise schedule

// What --place did to the cases, so a table is never read as the unplaced suite's.
std::string describe_placement(const EvalArgs& a) {
  return a.place ? "placement: the cases without position sample with a position term of any label, a position "
                   "per sample (--place; not graded)\n"
                 : "";
}

void run_recipe(const EvalArgs& a) {
  if (!a.json_out.empty()) check_output_file(a.json_out, "--json-out");
  std::vector<std::string> warnings;
  Recipe r = load_recipe(a.recipe, &warnings);
  for (const auto& w : warnings) std::cerr << "ebm eval: warning: " << w << "\n";
  if (a.seed) r.sampler.seed = *a.seed;
  if (a.device) r.sampler.device = *a.device;
  a.step_rule.apply(r.sampler);
  RunnableOptions ro;
  ro.ignore_hash = a.ignore_hash;
  ro.ignore_hash_action = "evaluate";
  std::vector<RecipeNote> notes;
  auto models = load_recipe_models(r, a.recipe, ro, &notes);
  if (!a.quiet)
    for (const auto& n : notes) std::cerr << n.text << "\n";
  LadderOptions ladder = a.ladder;
  if (a.steps) {
    apply_step_count(*a.steps, r.sampler);
    SamplerParams probe = r.sampler;  // does the models' ladder walk this recipe (denoising models)?
    if (apply_model_schedule(probe, r.composition, info_lookup(models), ladder)) ladder = ladder_in_steps(ladder, *a.steps);
  }
  eval::grade_targets(r.composition, models);  // a recipe that cannot be graded fails before the classifier loads
  nlohmann::json heldout;
  auto grader = load_grader(a, &heldout);
  Progress progress(a.quiet);
  progress.set_run(fs::path(a.recipe).filename().string());
  auto out = eval::evaluate_recipe(fs::path(a.recipe).stem().string(), r, models, *grader, a.n, a.batch,
                                   [&](const eval::SamplingProgress& p) { progress(p); }, ladder);
  if (out.schedule_from_model && !a.quiet)
    std::cerr << "ebm eval: the recipe has a constant schedule; sampled the denoising models with their annealed "
                 "schedule ("
              << describe_ladder(ladder, out.params.total_steps()) << ")\n";
  nlohmann::json j = {{"recipe", a.recipe}, {"n", a.n}, {"seed", out.params.seed}, {"steps", out.params.total_steps()},
                      {"classifier_heldout", heldout}};
  print_results(a, {out.table}, std::move(j));
}

void run_suite(const EvalArgs& a) {
  if (!a.json_out.empty()) check_output_file(a.json_out, "--json-out");
  std::optional<GuidanceInterval> interval;  // read first: a typo should not wait for the models to load
  if (!a.guidance_interval.empty()) interval = parse_guidance_interval(a.guidance_interval);
  SamplerParams base;
  a.step_rule.apply(base);  // first: an unknown rule is reported before the models load
  const auto dir = models_dir(a);
  if (dir.empty())
    throw std::runtime_error("no models directory found ($EBM_STUDIO_MODELS, <prefix>/share/ebm-studio/models, "
                             "assets/models); pass --models DIR");
  const auto files = eval::concept_model_files(dir);
  if (files.empty())
    throw std::runtime_error("no concept models in " + dir.string() +
                             " (expected position/size/shape/color.safetensors); train them with `ebm train "
                             "--concept position --out runs/position` and copy runs/position/model.safetensors "
                             "there as position.safetensors (docs/training.md)");
  if (a.labels < 1 || a.labels > 1000) throw std::invalid_argument("--labels must be 1 … 1000");
  if (a.n < a.labels)
    throw std::invalid_argument("--n (" + std::to_string(a.n) + ") must be at least --labels (" +
                                std::to_string(a.labels) + "): every target label needs samples");
  nlohmann::json heldout;
  auto grader = load_grader(a, &heldout);

  // Load each model once; every recipe of the suite shares them.
  std::vector<RecipeNote> notes;
  Recipe all;
  for (const auto& [c, p] : files) all.models.push_back({data::to_string(c), p.string(), ""});
  std::filesystem::path count_file;
  if (a.one_object) {
    count_file = std::filesystem::absolute(dir / "count.safetensors");
    if (!std::filesystem::is_regular_file(count_file))
      throw std::invalid_argument("--one-object needs the count model " + count_file.string() +
                                  "; train it with `ebm train --concept count --objective dsm --out runs/count` "
                                  "and copy runs/count/model.safetensors there (docs/training.md)");
    all.models.push_back({eval::kCountTerm, count_file.string(), ""});
  } else if (a.count_guidance) {
    throw std::invalid_argument("--count-guidance goes with --one-object");
  }
  auto models = load_recipe_models(all, (dir / "suite.json").string(), RunnableOptions{}, &notes);
  if (!a.quiet)
    for (const auto& n : notes) std::cerr << n.text << "\n";

  base.init = InitMode::Gaussian;  // the training chains' 0.5 + 0.5·N start
  base.steps = kSuiteLangevinSteps;
  LadderOptions ladder = a.ladder;
  if (a.steps) {
    apply_step_count(*a.steps, base);
    SamplerParams probe = base;
    if (apply_model_schedule(probe, models, ladder)) ladder = ladder_in_steps(ladder, *a.steps);
  }
  apply_model_schedule(base, models, ladder);  // every model's: the suite's cases share one schedule

  std::vector<eval::SuiteSplit> splits;
  if (a.split == "both") splits = {eval::SuiteSplit::Tune, eval::SuiteSplit::Heldout};
  else splits = {eval::suite_split_from_string(a.split)};
  if (splits.size() > 1 && (a.label_seed || a.seed))
    throw std::invalid_argument("--split both uses the two fixed seed pairs; drop --label-seed/--seed or pick one split");

  const int64_t per_label = a.n / a.labels;
  Progress progress(a.quiet);
  nlohmann::json runs = nlohmann::json::object();
  std::vector<std::string> skipped;
  // The JSON document of what has been graded so far. --json-out is rewritten (atomically) after
  // every case with "complete": false, so a run cut short — a time limit, a crash, a lost machine —
  // keeps every case it finished; the last write says "complete": true.
  auto document = [&](bool complete) {
    nlohmann::json j = {{"models", dir.string()},
                        {"n_per_label", per_label},
                        {"labels_per_case", a.labels},
                        {"not_coefficient", a.not_coefficient},
                        {"prior", a.prior},
                        {"place", a.place},
                        {"guidance", a.guidance ? nlohmann::json(*a.guidance) : nlohmann::json("per model")},
                        {"guidance_interval",
                         interval ? guidance_interval_to_json(*interval) : nlohmann::json("per model")},
                        {"skipped", skipped},
                        {"classifier_heldout", heldout},
                        {"complete", complete}};
    if (splits.size() == 1) {
      // One split: the layout of earlier versions (label_seed, seed, steps, tables, per_label at the top).
      if (runs.contains(to_string(splits[0])))
        for (auto& [k, v] : runs[to_string(splits[0])].items()) j[k] = v;
      j["split"] = to_string(splits[0]);
    } else {
      j["splits"] = runs;
    }
    return j;
  };
  std::vector<std::vector<eval::GradeTable>> split_tables, split_label_tables;
  for (const auto split : splits) {
    const auto seeds = eval::suite_seeds(split);
    eval::SuiteOptions so;
    so.labels_per_case = a.labels;
    so.label_seed = a.label_seed.value_or(seeds.label_seed);
    so.seed = a.seed.value_or(seeds.seed);
    so.device = a.device.value_or("cpu");
    so.not_coefficient = a.not_coefficient;
    so.guidance = a.guidance;
    so.guidance_interval = interval;
    so.shared_prior = a.prior == "shared";
    so.count_model = count_file;
    so.count_guidance = a.count_guidance;
    so.place = a.place;
    skipped.clear();
    auto recipes = eval::suite_recipes(files, so, base, &skipped);
    if (!a.cases.empty()) {
      // The target labels of a case do not depend on which others run (suite_recipes seeds them per case).
      const auto all = eval::standard_cases();
      std::string known;
      for (const auto& c : all) known += (known.empty() ? "" : ", ") + c.name;
      for (const auto& c : a.cases)
        if (std::none_of(all.begin(), all.end(), [&](const eval::SuiteCase& sc) { return sc.name == c; }))
          throw std::invalid_argument("--cases: unknown case '" + c + "' (the suite's cases: " + known + ")");
      recipes.erase(std::remove_if(recipes.begin(), recipes.end(),
                                   [&](const eval::SuiteRecipe& r) {
                                     return std::find(a.cases.begin(), a.cases.end(), r.case_name) == a.cases.end();
                                   }),
                    recipes.end());
      if (recipes.empty())
        throw std::invalid_argument("--cases: none of the chosen cases has all its models in " + dir.string());
    }
    for (const auto& s : skipped)
      if (!a.quiet) std::cerr << "ebm eval: skipping " << s << " (its models are not all in " << dir.string() << ")\n";

    std::vector<eval::GradeTable> tables, parts, label_tables;
    auto record = [&]() {
      runs[to_string(split)] = {{"label_seed", so.label_seed},
                                {"seed", so.seed},
                                {"steps", recipes.empty() ? 0 : recipes.front().recipe.sampler.total_steps()},
                                {"tables", tables},
                                {"per_label", label_tables}};
    };
    for (size_t i = 0; i < recipes.size(); ++i) {
      const auto& sr = recipes[i];
      progress.set_run(to_string(split) + " " + sr.case_name + " [label " + std::to_string(sr.label_index + 1) + "/" +
                       std::to_string(a.labels) + "]");
      auto out = eval::evaluate_recipe(sr.case_name, sr.recipe, models, *grader, per_label, a.batch,
                                       [&](const eval::SamplingProgress& p) { progress(p); });
      label_tables.push_back(out.table);
      parts.push_back(out.table);
      if (i + 1 == recipes.size() || recipes[i + 1].case_name != sr.case_name) {
        tables.push_back(eval::combine(sr.case_name, parts));
        parts.clear();
        record();
        if (!a.json_out.empty()) write_file_atomic(a.json_out, document(false).dump(2) + "\n");
      }
    }
    record();
    split_tables.push_back(std::move(tables));
    split_label_tables.push_back(std::move(label_tables));
  }
  const nlohmann::json j = document(true);
  if (!a.json_out.empty()) write_file_atomic(a.json_out, j.dump(2) + "\n");
  if (splits.size() == 1) {
    if (a.json) {
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::cout << describe_grader(heldout) << describe_placement(a) << eval::format_tables(split_tables[0]);
    if (a.per_label) std::cout << "\n== per target label\n" << eval::format_per_label(split_label_tables[0]);
    return;
  }
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << describe_grader(heldout) << describe_placement(a);
  for (size_t i = 0; i < splits.size(); ++i) {
    std::cout << "\n== " << to_string(splits[i]) << " split\n" << eval::format_tables(split_tables[i]);
    if (a.per_label)
      std::cout << "\n== " << to_string(splits[i]) << " split, per target label\n"
                << eval::format_per_label(split_label_tables[i]);
  }
  std::cout << "\n== side by side\n" << eval::format_split_summary(split_tables[0], split_tables[1]);
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
                  "suite: each (every term's full energy, summed) or shared (one prior: the terms' scores composed "
                  "around the mean of their unconditional energies)")
      ->check(CLI::IsMember({"each", "shared"}))
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
  sub->add_option("--steps", a->steps,
                  "steps per chain, as ebm sample --steps: models without a noise schedule take N Langevin steps "
                  "(suite default 200; recipe: its own), denoising models N - 1 Euler steps and the final denoise");
  add_ladder_flags(sub, a->ladder);
  add_step_rule_flags(sub, a->step_rule, "recipe: overrides the recipe's; suite: langevin by default");
  sub->add_flag("--per-label", a->per_label,
                "suite: also a line per target label of each case (all met, found, 2+): which labels a case misses; "
                "the JSON always has them (per_label)");
  sub->add_option("--cases", a->cases, "suite: only these cases, comma-separated (e.g. size,shape,color)")->delimiter(',');
  sub->add_option("--not-coefficient", a->not_coefficient, "suite: c of the negation E_a − c·E_b")->capture_default_str();
  sub->add_option("--guidance", a->guidance,
                  "suite: classifier-free guidance of every term (default: each denoising model's recommended value)")
      ->check(CLI::Range(0.0, 100.0));
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
