// `ebm eval` end to end on tiny models: the engine's evaluate_recipe on random small CubesNets and a
// small random classifier, then the real binary (EBM_BINARY): table, JSON, suite, and its errors.
#include "engine/eval/eval_recipe.h"
#include "engine/energy/model_loader.h"
#include "engine/eval/eval_suite.h"
#include "engine/eval/grade_targets.h"
#include "engine/recipe/runnable.h"
#include "engine/recipe/recipe.h"
#include "models/checkpoint/sha256.h"
#include "models/checkpoint/atomic_file.h"
#include "models/checkpoint/model_file.h"
#include "models/registry.h"

#include "tests/support/temp_dir.h"
#include "tests/support/cli_run.h"
#include "tests/support/small_models.h"
#include "tests/support/small_denoiser.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <chrono>
#include <filesystem>
#include <thread>
#include <unistd.h>

namespace ebm::eval {
namespace {

namespace fs = std::filesystem;

struct Dir : ebm::test::TempDir {
  explicit Dir(const std::string& tag) : TempDir("ebm_eval_" + tag) {}
};

using ebm::test::save_small_cubesnet;

void save_small_classifier(const std::string& path) {
  torch::manual_seed(3);
  ClassifierConfig cc;
  cc.num_filters = 4;
  CubesClassifier c(cc);
  save_classifier(path, *c, {{"note", "random, for tests"}});
}

std::vector<float> one_hot(int n, int k) {
  std::vector<float> v(static_cast<size_t>(n), 0.f);
  v[static_cast<size_t>(k)] = 1.f;
  return v;
}

// position ∧ ¬red on two tiny random models: 3 Langevin steps.
Recipe pos_not_red(const Dir& d) {
  save_small_cubesnet(d.f("models/position.safetensors"), 2, 1);
  save_small_cubesnet(d.f("models/color.safetensors"), 20, 2);
  Recipe r;
  r.models = {{"pos", "models/position.safetensors", sha256_file(d.f("models/position.safetensors"))},
              {"col", "models/color.safetensors", sha256_file(d.f("models/color.safetensors"))}};
  r.composition = Node::op(NodeKind::Not, {Node::term("position", "pos", {0.4f, -0.2f}),
                                           Node::term("red", "col", one_hot(20, 0))});
  r.sampler.steps = 3;
  r.sampler.batch = 4;
  r.sampler.seed = 5;
  r.sampler.init = InitMode::Gaussian;
  return r;
}

TEST(EvalRun, EndToEndOnATinyModel) {
  Dir d("e2e");
  Recipe r = pos_not_red(d);
  save_recipe(d.f("r.json"), r);
  std::vector<RecipeNote> notes;
  auto models = load_recipe_models(r, d.f("r.json"), RunnableOptions{}, &notes);
  ASSERT_EQ(models.size(), 2u);
  torch::manual_seed(3);
  ClassifierConfig cc;
  cc.num_filters = 4;
  CubesClassifier grader(cc);

  int64_t last_chunk = 0, calls = 0, chunk_ends = 0;
  auto out = evaluate_recipe("pos_not_red", r, models, *grader, 6, 4, [&](const SamplingProgress& p) {
    last_chunk = p.chunk;
    ++calls;
    chunk_ends += p.step == p.steps;
    EXPECT_EQ(p.chunks, 2);
    EXPECT_EQ(p.steps, 3);
  });
  // Every chunk's end is reported; in between at most 4 times a second (each report reads the
  // energy, a device sync), so never more than once per step.
  EXPECT_EQ(last_chunk, 2);
  EXPECT_EQ(chunk_ends, 2);
  EXPECT_LE(calls, 6);
  const auto& t = out.table;
  EXPECT_EQ(t.n, 6);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].metric, "position error");
  EXPECT_TRUE(t.rows[1].target.negated);
  for (const auto& row : t.rows) {
    EXPECT_GE(row.value, 0.0);
    EXPECT_GE(row.met, 0.0);
    EXPECT_LE(row.met, 1.0);
  }
  EXPECT_LE(t.all_met, std::min(t.rows[0].met, t.rows[1].met) + 1e-9);
  EXPECT_FALSE(out.schedule_from_model);  // CubesNets: constant schedule as the recipe says
}

TEST(EvalRun, SamplesDoNotDependOnTheChunkSize) {
  Dir d("chunk");
  Recipe r = pos_not_red(d);
  auto models = load_recipe_models(r, d.f("r.json"), RunnableOptions{}, nullptr);
  auto a = sample_n(models, r.composition, r.sampler, 5, 5);
  auto b = sample_n(models, r.composition, r.sampler, 5, 2);
  ASSERT_EQ(a.sizes(), b.sizes());
  EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-6));
  EXPECT_THROW(sample_n(models, r.composition, r.sampler, 0, 2), std::invalid_argument);
}

TEST(EvalRun, SuiteBuildsTheCasesItHasModelsFor) {
  Dir d("suite");
  save_small_cubesnet(d.f("models/position.safetensors"), 2, 1);
  save_small_cubesnet(d.f("models/color.safetensors"), 20, 2);
  const auto files = concept_model_files(d.path / "models");
  ASSERT_EQ(files.size(), 2u);
  SuiteOptions so;
  so.labels_per_case = 3;
  std::vector<std::string> skipped;
  const auto recipes = suite_recipes(files, so, SamplerParams{}, &skipped);
  ASSERT_EQ(recipes.size(), 4u * 3u);  // position, color, position+color, position+not color
  EXPECT_EQ(recipes[0].case_name, "position");
  EXPECT_EQ(recipes.back().case_name, "position+not color");
  EXPECT_EQ(recipes.back().recipe.composition.kind, NodeKind::Not);
  EXPECT_EQ(skipped, (std::vector<std::string>{"size", "shape", "position+size", "position+shape", "shape+color",
                                               "shape+not color", "position+size+shape", "position+shape+color",
                                               "position+size+shape+color"}));
  // No rule asked for: the case that ANDs colour goes around one prior, the rest sum (one_prior_by_rule).
  for (const auto& sr : recipes) EXPECT_EQ(sr.recipe.composition.shared_prior, sr.case_name == "position+color");
  // Target labels differ between the labels of a case, and come again from the same seed.
  EXPECT_NE(recipes[0].recipe.composition.label, recipes[1].recipe.composition.label);
  const auto again = suite_recipes(files, so, SamplerParams{}, nullptr);
  EXPECT_EQ(again[1].recipe.composition.label, recipes[1].recipe.composition.label);
  for (const auto& sr : recipes) {
    const auto& lab = sr.recipe.composition.kind == NodeKind::Term ? sr.recipe.composition.label
                                                                   : sr.recipe.composition.children[0].label;
    for (float v : lab) EXPECT_TRUE(v >= -1.f && v <= 1.f);
  }
  // The shared prior reaches the cases' operators.
  so.shared_prior = true;
  for (const auto& sr : suite_recipes(files, so, SamplerParams{}, nullptr))
    EXPECT_EQ(sr.recipe.composition.shared_prior, sr.recipe.composition.kind != NodeKind::Term) << sr.case_name;
}

TEST(EvalRun, TheCountTermJoinsEveryCaseOnItsPositiveSide) {
  Dir d("suite_count");
  save_small_cubesnet(d.f("models/position.safetensors"), 2, 1);
  save_small_cubesnet(d.f("models/color.safetensors"), 20, 2);
  SuiteOptions so;
  so.labels_per_case = 2;
  so.shared_prior = true;
  so.count_model = d.f("models/count.safetensors");
  so.count_guidance = 4.0;
  const auto recipes = suite_recipes(concept_model_files(d.path / "models"), so, SamplerParams{}, nullptr);
  ASSERT_EQ(recipes.size(), 4u * 2u);
  auto is_count = [](const Node& n) {
    return n.kind == NodeKind::Term && n.name == kCountTerm && n.label == one_object_label() && n.guidance == 4.0;
  };
  for (const auto& sr : recipes) {
    const Node& c = sr.recipe.composition;
    EXPECT_TRUE(std::any_of(sr.recipe.models.begin(), sr.recipe.models.end(),
                            [&](const ModelRef& m) { return m.name == kCountTerm && m.path == so.count_model.string(); }))
        << sr.case_name;
    if (sr.case_name == "position+not color") {
      // Not keeps its two children: the count joins the positive side, never the negated one.
      ASSERT_EQ(c.kind, NodeKind::Not);
      ASSERT_EQ(c.children[0].kind, NodeKind::And);
      EXPECT_TRUE(c.children[0].shared_prior);
      EXPECT_TRUE(is_count(c.children[0].children.back()));
      EXPECT_EQ(c.children[1].name, "color");
    } else {
      // A single concept becomes concept ∧ one object; a conjunction gains one more term.
      ASSERT_EQ(c.kind, NodeKind::And) << sr.case_name;
      EXPECT_TRUE(c.shared_prior);
      EXPECT_EQ(c.children.size(), sr.case_name == "position+color" ? 3u : 2u);
      EXPECT_TRUE(is_count(c.children.back())) << sr.case_name;
    }
  }
  // The concept terms' target labels are the ones the suite draws without the count term.
  so.count_model.clear();
  const auto plain = suite_recipes(concept_model_files(d.path / "models"), so, SamplerParams{}, nullptr);
  EXPECT_EQ(plain[0].recipe.composition.label, recipes[0].recipe.composition.children[0].label);
}

// --place: the cases without position gain a "place" term on the position model with any label (a
// position per sample, no target); the cases with position are left as they were.
TEST(EvalRun, ThePlacementTermJoinsTheCasesWithoutPositionAndIsNotGraded) {
  Dir d("suite_place");
  save_small_cubesnet(d.f("models/position.safetensors"), 2, 1);
  save_small_cubesnet(d.f("models/shape.safetensors"), 3, 2);
  save_small_cubesnet(d.f("models/color.safetensors"), 20, 3);
  SuiteOptions so;
  so.labels_per_case = 3;
  so.shared_prior = true;
  const auto files = concept_model_files(d.path / "models");
  const auto plain = suite_recipes(files, so, SamplerParams{}, nullptr);
  so.place = true;
  const auto placed = suite_recipes(files, so, SamplerParams{}, nullptr);
  ASSERT_EQ(placed.size(), plain.size());
  Recipe all;
  for (const auto& [c, p] : files) all.models.push_back({data::to_string(c), p.string(), ""});
  const ModelSet models = load_recipe_models(all, d.f("suite.json"), RunnableOptions{}, nullptr);
  for (size_t i = 0; i < placed.size(); ++i) {
    const auto& sr = placed[i];
    const bool has_position = sr.case_name.rfind("position", 0) == 0;
    const auto terms = collect_terms(sr.recipe.composition);
    const auto place = std::find_if(terms.begin(), terms.end(), [](const Node* t) { return t->name == kPlaceTerm; });
    if (has_position) {
      EXPECT_EQ(place, terms.end()) << sr.case_name;
      EXPECT_EQ(recipe_to_json(sr.recipe).dump(), recipe_to_json(plain[i].recipe).dump());
      continue;
    }
    ASSERT_NE(place, terms.end()) << sr.case_name;
    EXPECT_EQ((*place)->model, "position");
    EXPECT_TRUE((*place)->any_label);
    if (sr.case_name == "shape") {
      // A single concept becomes concept ∧ place, around one prior as the suite's other ANDs.
      ASSERT_EQ(sr.recipe.composition.kind, NodeKind::And);
      EXPECT_TRUE(sr.recipe.composition.shared_prior);
    }
    if (sr.case_name == "shape+not color") {
      // On the positive side of the negation, beside the shape.
      ASSERT_EQ(sr.recipe.composition.kind, NodeKind::Not);
      ASSERT_EQ(sr.recipe.composition.children[0].kind, NodeKind::And);
      EXPECT_EQ(sr.recipe.composition.children[0].children[1].name, kPlaceTerm);
    }
    // The case's own targets are the unplaced suite's; the placement is no target of the grade.
    const auto targets = grade_targets(sr.recipe.composition, models);
    const auto plain_targets = grade_targets(plain[i].recipe.composition, models);
    ASSERT_EQ(targets.size(), plain_targets.size()) << sr.case_name;
    for (size_t k = 0; k < targets.size(); ++k) EXPECT_EQ(targets[k].label, plain_targets[k].label);
    // And it travels through a recipe as "label": "any".
    const auto j = recipe_to_json(sr.recipe);
    EXPECT_NE(j.dump().find("\"label\":\"any\""), std::string::npos) << j.dump();
    EXPECT_EQ(recipe_to_json(recipe_from_json(j, nullptr)).dump(), j.dump());
  }
}

TEST(EvalRun, TheSuiteHasThreeAndFourConceptCasesAndTwoSeedSplits) {
  const auto cases = standard_cases();
  ASSERT_EQ(cases.size(), 13u);
  // The first nine in their old order, so their seeded target labels are the old ones.
  EXPECT_EQ(cases[8].name, "position+not color");
  EXPECT_EQ(cases[9].name, "shape+not color");
  EXPECT_TRUE(cases[9].negate_last);
  EXPECT_EQ(cases.back().name, "position+size+shape+color");
  EXPECT_EQ(cases.back().concepts.size(), 4u);
  EXPECT_EQ(suite_split_from_string("tune"), SuiteSplit::Tune);
  EXPECT_EQ(suite_split_from_string("heldout"), SuiteSplit::Heldout);
  EXPECT_THROW(suite_split_from_string("test"), std::invalid_argument);
  const auto t = suite_seeds(SuiteSplit::Tune), h = suite_seeds(SuiteSplit::Heldout);
  EXPECT_NE(t.label_seed, h.label_seed);
  EXPECT_NE(t.seed, h.seed);
  EXPECT_EQ(SuiteOptions{}.labels_per_case, 16);  // no result hinges on a few labels

  Dir d("suite4");
  for (const char* c : {"position", "size", "shape", "color"})
    save_small_cubesnet(d.f(std::string("models/") + c + ".safetensors"),
                        data::label_size(data::cubes_concept_from_string(c)), 1);
  SuiteOptions so;
  so.labels_per_case = 2;
  std::vector<std::string> skipped;
  const auto recipes = suite_recipes(concept_model_files(d.path / "models"), so, SamplerParams{}, &skipped);
  EXPECT_TRUE(skipped.empty());
  EXPECT_EQ(recipes.size(), 13u * 2u);
  const auto& four = recipes.back().recipe.composition;
  EXPECT_EQ(four.kind, NodeKind::And);
  EXPECT_EQ(four.children.size(), 4u);
  // Another label seed draws other targets.
  so.label_seed = h.label_seed;
  const auto held = suite_recipes(concept_model_files(d.path / "models"), so, SamplerParams{}, nullptr);
  EXPECT_NE(held[0].recipe.composition.label, recipes[0].recipe.composition.label);
}

// ---- the binary ----

using ebm::test::CliRun;

CliRun ebm(const Dir& d, const std::vector<std::string>& args) {
  return ebm::test::run_binary(EBM_BINARY, args, d.f("stderr.txt"));
}

TEST(EvalCli, RecipeTableAndJson) {
  Dir d("cli");
  save_recipe(d.f("r.json"), pos_not_red(d));
  save_small_classifier(d.f("classifier.safetensors"));
  auto r = ebm(d, {"eval", "--recipe", d.f("r.json"), "--n", "4", "--batch", "2", "--classifier",
                   d.f("classifier.safetensors")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("position error"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not red"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("chunk 2/2"), std::string::npos) << r.err;  // progress on stderr

  r = ebm(d, {"eval", "--recipe", d.f("r.json"), "--n", "4", "--classifier", d.f("classifier.safetensors"), "--json",
              "--quiet", "--json-out", d.f("eval.json")});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tables"][0]["n"], 4);
  EXPECT_EQ(j["tables"][0]["rows"].size(), 2u);
  EXPECT_EQ(j["tables"][0]["rows"][1]["negated"], true);
  EXPECT_EQ(j["classifier_heldout"]["note"], "random, for tests");
  EXPECT_EQ(j["precision"], "tf32");
  EXPECT_EQ(nlohmann::json::parse(read_file(d.f("eval.json"))), j);
  r = ebm(d, {"eval", "--recipe", d.f("r.json"), "--n", "4", "--classifier", d.f("classifier.safetensors"), "--json",
              "--quiet", "--precision", "fp32"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["precision"], "fp32");
}

// --steps N means what it means to ebm sample (issue #26: an explicit count applies or is refused): a
// recipe of Langevin models takes N steps; one of denoising models, N − 1 Euler steps and the denoise.
TEST(EvalCli, StepsApplyToLangevinAndToDenoisingRecipes) {
  Dir d("steps");
  save_recipe(d.f("r.json"), pos_not_red(d));
  save_small_classifier(d.f("classifier.safetensors"));
  auto r = ebm(d, {"eval", "--recipe", d.f("r.json"), "--n", "2", "--steps", "5", "--classifier",
                   d.f("classifier.safetensors"), "--json", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["steps"], 5);

  ebm::test::save_small_denoiser(d.f("models/dpos.safetensors"), "position", 1, 0.05, 1.0);
  Recipe dr;
  dr.models = {{"pos", "models/dpos.safetensors", sha256_file(d.f("models/dpos.safetensors"))}};
  dr.composition = Node::term("position", "pos", {0.3f, -0.4f});
  dr.sampler.batch = 2;
  save_recipe(d.f("d.json"), dr);
  r = ebm(d, {"eval", "--recipe", d.f("d.json"), "--n", "2", "--steps", "4", "--classifier",
              d.f("classifier.safetensors"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["steps"], 4);
  EXPECT_NE(r.err.find("3 Euler steps"), std::string::npos) << r.err;
  r = ebm(d, {"eval", "--recipe", d.f("d.json"), "--n", "2", "--steps", "1", "--classifier",
              d.f("classifier.safetensors")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("at least 2 steps"), std::string::npos) << r.err;
}

TEST(EvalCli, MissingClassifierSaysHowToGetOne) {
  Dir d("nocls");
  save_recipe(d.f("r.json"), pos_not_red(d));
  auto r = ebm(d, {"eval", "--recipe", d.f("r.json"), "--n", "2", "--classifier", d.f("none.safetensors")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no grading classifier at"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ebm train-classifier"), std::string::npos) << r.err;
}

TEST(EvalCli, RecipeOfNonCubesModelsIsAUsageError) {
  Dir d("nocubes");
  save_small_cubesnet(d.f("models/generic.safetensors"), 5, 1);
  Recipe rec;
  rec.models = {{"g", "models/generic.safetensors", ""}};
  rec.composition = Node::term("g", "g", std::vector<float>(5, 0.f));
  rec.sampler.steps = 1;
  save_recipe(d.f("r.json"), rec);
  save_small_classifier(d.f("classifier.safetensors"));
  auto r = ebm(d, {"eval", "--recipe", d.f("r.json"), "--n", "2", "--classifier", d.f("classifier.safetensors")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("not a cubes concept"), std::string::npos) << r.err;
}

TEST(EvalCli, SuiteOnTinyModelsAndItsErrors) {
  Dir d("clisuite");
  save_small_cubesnet(d.f("models/position.safetensors"), 2, 1);
  save_small_cubesnet(d.f("models/color.safetensors"), 20, 2);
  save_small_classifier(d.f("models/classifier.safetensors"));
  auto r = ebm(d, {"eval", "--suite", "--models", d.f("models"), "--n", "2", "--labels", "2", "--steps", "2",
                   "--json", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["tables"].size(), 4u);
  EXPECT_EQ(j["tables"][3]["case"], "position+not color");
  EXPECT_EQ(j["tables"][3]["n"], 2);  // 2 labels × 1 sample
  EXPECT_EQ(j["tables"][3]["rows"][0]["labels"], 2);
  EXPECT_EQ(j["per_label"].size(), 8u);
  EXPECT_EQ(j["skipped"].size(), 9u);
  EXPECT_EQ(j["split"], "tune");
  EXPECT_EQ(j["label_seed"], 0);
  for (const auto& t : j["tables"]) {  // every table says how many samples showed an object
    ASSERT_TRUE(t.contains("objects_found")) << t.dump();
    EXPECT_GE(t["objects_found"].get<double>(), 0.0);
    EXPECT_LE(t["objects_found"].get<double>(), 1.0);
  }

  // --cases keeps the chosen cases (same labels as in the full run) and names an unknown one.
  r = ebm(d, {"eval", "--suite", "--models", d.f("models"), "--n", "2", "--labels", "2", "--steps", "2", "--json",
              "--quiet", "--cases", "color,position"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto k = nlohmann::json::parse(r.out);
  ASSERT_EQ(k["tables"].size(), 2u);
  EXPECT_EQ(k["tables"][0]["case"], "position");
  auto untimed = [](nlohmann::json t) {  // the wall time differs from run to run
    t.erase("seconds");
    return t;
  };
  EXPECT_EQ(untimed(k["per_label"][2]), untimed(j["per_label"][2]));
  // --split both grades the tune and held-out seeds side by side; --prior shared reaches the cases.
  r = ebm(d, {"eval", "--suite", "--models", d.f("models"), "--n", "2", "--labels", "2", "--steps", "2", "--quiet",
              "--cases", "position+color", "--split", "both", "--prior", "shared", "--json-out", d.f("both.json"),
              "--per-label"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("== side by side"), std::string::npos) << r.out;
  // --per-label: a line per target label of each split, targets joined ("(x, y) & colour").
  EXPECT_NE(r.out.find("== tune split, per target label"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("== heldout split, per target label"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(") & "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("held-out"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("grader"), std::string::npos) << r.out;
  const auto both = nlohmann::json::parse(read_file(d.f("both.json")));
  EXPECT_EQ(both["prior"], "shared");
  EXPECT_EQ(both["splits"]["tune"]["label_seed"], 0);
  EXPECT_EQ(both["splits"]["heldout"]["label_seed"], 7919);
  EXPECT_EQ(both["splits"]["heldout"]["tables"].size(), 1u);
  r = ebm(d, {"eval", "--suite", "--models", d.f("models"), "--split", "both", "--label-seed", "3"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--split both"), std::string::npos) << r.err;
  r = ebm(d, {"eval", "--suite", "--models", d.f("models"), "--prior", "half"});
  EXPECT_EQ(r.code, 2);
  // --step-rule mala samples with the Metropolis-adjusted step and reports its acceptance.
  r = ebm(d, {"eval", "--suite", "--models", d.f("models"), "--n", "2", "--labels", "2", "--steps", "2", "--json",
              "--quiet", "--cases", "position", "--step-rule", "mala"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto m = nlohmann::json::parse(r.out);
  ASSERT_TRUE(m["tables"][0].contains("acceptance")) << m.dump();
  EXPECT_GE(m["tables"][0]["acceptance"].get<double>(), 0.0);
  EXPECT_LE(m["tables"][0]["acceptance"].get<double>(), 1.0);
  EXPECT_FALSE(k["tables"][0].contains("acceptance"));  // Langevin: no accept test
  r = ebm(d, {"eval", "--suite", "--models", d.f("models"), "--cases", "position", "--step-rule", "hmc2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown step rule 'hmc2'"), std::string::npos) << r.err;
  // --place: the colour case gains the placement term (sampled, not graded: still one row); the
  // position case is unchanged; a recipe refuses it.
  r = ebm(d, {"eval", "--suite", "--models", d.f("models"), "--n", "2", "--labels", "2", "--steps", "2",
              "--quiet", "--cases", "color,position", "--place", "--json-out", d.f("place.json")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("placement"), std::string::npos) << r.out;
  const auto placed = nlohmann::json::parse(read_file(d.f("place.json")));
  EXPECT_EQ(placed["place"], true);
  EXPECT_EQ(placed["tables"][1]["case"], "color");
  EXPECT_EQ(placed["tables"][1]["rows"].size(), 1u);
  EXPECT_EQ(untimed(placed["per_label"][0]), untimed(k["per_label"][0]));  // position: as without --place
  r = ebm(d, {"eval", "--recipe", d.f("models/none.json"), "--place"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--place shapes the suite's cases"), std::string::npos) << r.err;
  r = ebm(d, {"eval", "--suite", "--models", d.f("models"), "--cases", "colour"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown case 'colour'"), std::string::npos) << r.err;
  r = ebm(d, {"eval", "--suite", "--models", d.f("models"), "--cases", "size"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("none of the chosen cases"), std::string::npos) << r.err;

  fs::create_directories(d.path / "empty");
  r = ebm(d, {"eval", "--suite", "--models", d.f("empty")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("ebm train"), std::string::npos) << r.err;

  fs::remove(d.path / "models" / "classifier.safetensors");
  r = ebm(d, {"eval", "--suite", "--models", d.f("models"), "--n", "2", "--labels", "2"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("ebm train-classifier"), std::string::npos) << r.err;

  r = ebm(d, {"eval"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--recipe FILE or --suite"), std::string::npos) << r.err;
}

// A GPU sitting that ran out of time lost a whole sweep because `--json-out` was written only at the
// end. Now the file is rewritten after every case: whoever reads it while the run goes on sees the
// finished cases, "complete": false, and the last write has them all and "complete": true.
TEST(EvalCli, TheSuiteJsonKeepsEveryFinishedCaseWhileItRuns) {
  Dir d("partial");
  save_small_cubesnet(d.f("models/position.safetensors"), 2, 1);
  save_small_cubesnet(d.f("models/color.safetensors"), 20, 2);
  save_small_classifier(d.f("models/classifier.safetensors"));
  const std::string out = d.f("partial.json");
  CliRun r;
  std::thread run([&] {
    r = ebm(d, {"eval", "--suite", "--models", d.f("models"), "--n", "2", "--labels", "2", "--steps", "40",
                "--quiet", "--json-out", out});
  });
  std::vector<nlohmann::json> partial;  // every distinct unfinished document seen
  for (auto done = std::chrono::steady_clock::now() + std::chrono::minutes(5);
       std::chrono::steady_clock::now() < done;) {
    std::error_code ec;
    if (fs::exists(out, ec)) {
      const auto j = nlohmann::json::parse(read_file(out), nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << "a reader saw a half-written file";
      if (j["complete"] == true) break;
      if (partial.empty() || partial.back()["tables"].size() != j["tables"].size()) partial.push_back(j);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  run.join();
  ASSERT_EQ(r.code, 0) << r.err;
  const auto final_doc = nlohmann::json::parse(read_file(out));
  EXPECT_EQ(final_doc["complete"], true);
  ASSERT_EQ(final_doc["tables"].size(), 4u);
  ASSERT_FALSE(partial.empty()) << "no unfinished document was ever seen";
  EXPECT_LT(partial.front()["tables"].size(), 4u) << "the file was first written after the last case";
  for (const auto& p : partial) {
    EXPECT_EQ(p["complete"], false);
    ASSERT_GE(p["tables"].size(), 1u);
    ASSERT_LE(p["tables"].size(), 4u);
    EXPECT_EQ(p["split"], "tune");
    for (size_t i = 0; i < p["tables"].size(); ++i) {  // a finished case is final when first written
      auto a = p["tables"][i], b = final_doc["tables"][i];
      a.erase("seconds");
      b.erase("seconds");
      EXPECT_EQ(a, b);
    }
  }
}

}  // namespace
}  // namespace ebm::eval

namespace ebm::eval {
namespace {

// The shipped grader sits beside the concept models (assets/models/classifier.safetensors): loading
// it as an energy model must say what it is and where it belongs, not fail on a missing config.
TEST(EvalRun, TheClassifierIsRefusedAsAnEnergyModelWithThePointerToEval) {
  Dir d("classifier_as_energy");
  save_small_classifier(d.f("models/classifier.safetensors"));
  try {
    load_energy_model(d.f("models/classifier.safetensors"));
    FAIL() << "a classifier file loaded as an energy model";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("grading classifier"), std::string::npos) << msg;
    EXPECT_NE(msg.find("ebm eval --classifier"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace ebm::eval
