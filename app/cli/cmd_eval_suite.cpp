// `ebm eval --suite`: the standard cases (engine/eval/eval_suite.h) on a models directory, each case
// on its rule and walk, graded split by split; see docs/training.md "Evaluation".
#include "app/cli/cli_errors.h"
#include "app/cli/eval_command.h"
#include "app/cli/output_check.h"
#include "engine/eval/eval_recipe.h"
#include "engine/eval/eval_suite.h"
#include "engine/recipe/default_walk.h"
#include "engine/recipe/runnable.h"
#include "models/checkpoint/atomic_file.h"

#include <algorithm>
#include <iostream>

namespace ebm::cli {

namespace {

namespace fs = std::filesystem;

constexpr int64_t kSuiteLangevinSteps = 200;  // the suite's chains for models without a noise schedule

// What --place did to the cases, so a table is never read as the unplaced suite's.
std::string describe_placement(const EvalArgs& a) {
  return a.place ? "placement: the cases without position sample with a position term of any label, a position "
                   "per sample (--place; not graded)\n"
                 : "";
}

// Which walk and rule each case ran on, grouped — "walks: quick, 39 steps, around one prior: color,
// position+color; final, 400 steps, summed: position, …" — so a table is read with its sampler.
std::string describe_walks(const nlohmann::json& walks) {
  std::vector<std::pair<std::string, std::string>> groups;  // (walk, steps, rule) → its cases
  for (const auto& [name, w] : walks.items()) {
    const std::string key = w.value("walk", std::string("?")) + ", " + std::to_string(w.value("steps", int64_t{0})) +
                            " steps, " + (w.value("prior", std::string()) == "one prior" ? "around one prior" : "summed");
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& kv) { return kv.first == key; });
    if (g == groups.end()) groups.emplace_back(key, name);
    else g->second += ", " + name;
  }
  std::string s;
  for (const auto& [key, cases] : groups) s += (s.empty() ? "walks: " : "; ") + key + ": " + cases;
  return s.empty() ? s : s + "\n";
}

}  // namespace

void run_suite(const EvalArgs& a) {
  if (!a.json_out.empty()) check_output_file(a.json_out, "--json-out");
  std::optional<GuidanceInterval> interval;  // read first: a typo should not wait for the models to load
  if (!a.guidance_interval.empty()) interval = parse_guidance_interval(a.guidance_interval);
  const auto concept_weight = eval::parse_concept_values(a.concept_weight, "--concept-weight", 0.0, 100.0);
  const auto concept_guidance = eval::parse_concept_values(a.concept_guidance, "--concept-guidance", 0.0, 100.0);
  SamplerParams base;
  a.step_rule.apply(base);  // first: an unknown rule is reported before the models load
  if (a.precision) base.precision = checked_precision(*a.precision, a.device.value_or("cpu"));
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
  if (a.steps) apply_step_count(*a.steps, base);
  // Each case on its walk — the one named, or its composition's default (quick around one prior, final
  // otherwise: engine/recipe/default_walk.h) — over every model's noise range, as the cases share the
  // models. Returns the walk's name.
  auto put_on_walk = [&](Recipe& r) {
    LadderOptions l = a.walk.for_composition(r.composition);  // --steps names the walk (ladder_flags.h)
    SamplerParams probe = r.sampler;
    if (a.steps && apply_model_schedule(probe, models, l)) l = ladder_in_steps(l, *a.steps);
    apply_model_schedule(r.sampler, models, l);
    return quality_of(l);
  };

  std::vector<eval::SuiteSplit> splits;
  if (a.split == "both") splits = {eval::SuiteSplit::Tune, eval::SuiteSplit::Heldout};
  else splits = {eval::suite_split_from_string(a.split)};
  if (splits.size() > 1 && (a.label_seed || a.seed))
    throw std::invalid_argument("--split both uses the two fixed seed pairs; drop --label-seed/--seed or pick one split");

  const int64_t per_label = a.n / a.labels;
  EvalProgress progress(a.quiet);
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
                        {"precision", to_string(base.precision)},
                        {"guidance", a.guidance ? nlohmann::json(*a.guidance) : nlohmann::json("per model")},
                        {"concept_weight", a.concept_weight},
                        {"concept_guidance", a.concept_guidance},
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
    so.concept_weight = concept_weight;
    so.concept_guidance = concept_guidance;
    if (a.prior != "auto") so.shared_prior = a.prior == "shared";
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
    nlohmann::json walks = nlohmann::json::object();  // case → the walk it ran on, its steps and its rule
    for (auto& sr : recipes) {
      const std::string w = put_on_walk(sr.recipe);
      walks[sr.case_name] = {{"walk", w},
                             {"steps", sr.recipe.sampler.total_steps()},
                             {"prior", composes_around_one_prior(sr.recipe.composition) ? "one prior" : "summed"}};
    }
    for (const auto& s : skipped)
      if (!a.quiet) std::cerr << "ebm eval: skipping " << s << " (its models are not all in " << dir.string() << ")\n";

    std::vector<eval::GradeTable> tables, parts, label_tables;
    auto record = [&]() {
      runs[to_string(split)] = {{"label_seed", so.label_seed},
                                {"seed", so.seed},
                                {"steps", recipes.empty() ? 0 : recipes.front().recipe.sampler.total_steps()},
                                {"walks", walks},
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
    std::cout << describe_grader(heldout) << describe_placement(a) << describe_walks(j["walks"])
              << eval::format_tables(split_tables[0]);
    if (a.per_label) std::cout << "\n== per target label\n" << eval::format_per_label(split_label_tables[0]);
    return;
  }
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << describe_grader(heldout) << describe_placement(a)
            << describe_walks(j["splits"][to_string(splits[0])]["walks"]);  // the same walks on both splits
  for (size_t i = 0; i < splits.size(); ++i) {
    std::cout << "\n== " << to_string(splits[i]) << " split\n" << eval::format_tables(split_tables[i]);
    if (a.per_label)
      std::cout << "\n== " << to_string(splits[i]) << " split, per target label\n"
                << eval::format_per_label(split_label_tables[i]);
  }
  std::cout << "\n== side by side\n" << eval::format_split_summary(split_tables[0], split_tables[1]);
}

}  // namespace ebm::cli
