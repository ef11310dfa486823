// The suite's default rule and walk (issues #26, #28): with no --prior, a case that ANDs colour or three
// concepts composes around one prior and the others sum their energies (one_prior_by_rule); with no walk
// named, each case walks its composition's default — quick around one prior, the final ladder
// otherwise — and the JSON and the text say which case ran on which.
#include "engine/eval/eval_suite.h"
#include "engine/energy/node.h"
#include "models/cubes_classifier.h"

#include "tests/support/cli_run.h"
#include "tests/support/small_denoiser.h"
#include "tests/support/small_models.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>

namespace ebm::eval {
namespace {

struct Dir : ebm::test::TempDir {
  Dir() : TempDir("ebm_eval_suite_rule") {}
};

TEST(SuiteRule, CasesThatAndColourOrThreeConceptsComposeAroundOnePriorAndTheRestSum) {
  std::map<std::string, bool> rule;
  for (const auto& c : standard_cases()) rule[c.name] = one_prior_by_rule(c);
  const std::map<std::string, bool> expected = {
      {"position", false}, {"size", false}, {"shape", false}, {"color", true},
      {"position+size", false}, {"position+shape", false}, {"position+color", true}, {"shape+color", true},
      {"position+not color", false}, {"shape+not color", false}, {"position+size+shape", true},
      {"position+shape+color", true}, {"position+size+shape+color", true}};
  EXPECT_EQ(rule, expected);
}

TEST(SuiteRule, UnsetPriorFollowsTheRuleAndAGivenOneAppliesToEveryCase) {
  Dir d;
  ebm::test::save_small_cubesnet(d.f("models/position.safetensors"), 2, 1);
  ebm::test::save_small_cubesnet(d.f("models/color.safetensors"), 20, 2);
  const auto files = concept_model_files(d.path / "models");
  SuiteOptions so;
  so.labels_per_case = 1;
  so.place = true;  // colour alone gains a place term, and so an And that follows the rule
  for (const auto& sr : suite_recipes(files, so, SamplerParams{}, nullptr)) {
    const bool one_prior = sr.case_name == "color" || sr.case_name == "position+color";
    if (sr.recipe.composition.kind != NodeKind::Term)
      EXPECT_EQ(sr.recipe.composition.shared_prior, one_prior) << sr.case_name;
  }
  for (bool given : {false, true}) {
    so.shared_prior = given;
    for (const auto& sr : suite_recipes(files, so, SamplerParams{}, nullptr))
      if (sr.recipe.composition.kind != NodeKind::Term)
        EXPECT_EQ(sr.recipe.composition.shared_prior, given) << sr.case_name;
  }
}

// --concept-weight / --concept-guidance: one concept's pull in every case that holds it.
TEST(SuiteRule, AConceptsWeightAndGuidanceReachEveryTermOfIt) {
  using data::CubesConcept;
  const auto w = parse_concept_values({"size=1.5", "colour=2"}, "--concept-weight", 0, 100);
  EXPECT_EQ(w, (std::map<CubesConcept, double>{{CubesConcept::Size, 1.5}, {CubesConcept::Color, 2.0}}));
  auto message = [](std::vector<std::string> items) {
    try {
      parse_concept_values(items, "--concept-weight", 0, 100);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({"size"}).find("no '='"), std::string::npos);
  EXPECT_NE(message({"weight=1"}).find("unknown concept 'weight'"), std::string::npos);
  EXPECT_NE(message({"size=1.5x"}).find("is not a number"), std::string::npos);
  EXPECT_NE(message({"size=-1"}).find("must be in"), std::string::npos);
  EXPECT_NE(message({"size=1", "size=2"}).find("given twice"), std::string::npos);
  EXPECT_NE(message({"size"}).find("--concept-weight 'size'"), std::string::npos);

  Dir d;
  ebm::test::save_small_cubesnet(d.f("models/position.safetensors"), 2, 1);
  ebm::test::save_small_cubesnet(d.f("models/color.safetensors"), 20, 2);
  SuiteOptions so;
  so.labels_per_case = 1;
  so.guidance = 5.0;
  so.concept_weight = {{CubesConcept::Position, 2.0}};
  so.concept_guidance = {{CubesConcept::Color, 3.0}};
  int seen = 0;
  for (const auto& sr : suite_recipes(concept_model_files(d.path / "models"), so, SamplerParams{}, nullptr))
    for (const Node* t : collect_terms(sr.recipe.composition)) {
      EXPECT_EQ(t->weight, t->model == "position" ? 2.0 : 1.0) << sr.case_name;
      EXPECT_EQ(t->guidance, t->model == "color" ? 3.0 : 5.0) << sr.case_name;
      ++seen;
    }
  EXPECT_EQ(seen, 1 + 1 + 2 + 2);  // position, color, position+color, position+not color
}

TEST(SuiteRule, EachCaseWalksItsCompositionsDefaultAndTheReportSaysWhich) {
  Dir d;
  ebm::test::save_small_denoiser(d.f("models/position.safetensors"), "position", 1, 0.05, 1.0);
  ebm::test::save_small_denoiser(d.f("models/color.safetensors"), "color", 2, 0.05, 1.0);
  torch::manual_seed(3);
  ClassifierConfig cc;
  cc.num_filters = 4;
  CubesClassifier c(cc);
  save_classifier(d.f("models/classifier.safetensors"), *c, {{"note", "random, for tests"}});
  const std::vector<std::string> base = {"eval",  "--suite", "--models", d.f("models"), "--cases",
                                         "position+color,position+not color", "--n", "1", "--labels", "1"};
  auto run = ebm::test::run_binary(EBM_BINARY, ebm::test::concat(base, {"--json", "--quiet"}), d.f("stderr.txt"));
  ASSERT_EQ(run.code, 0) << run.err;
  const auto walks = nlohmann::json::parse(run.out)["walks"];
  EXPECT_EQ(walks["position+color"]["walk"], "quick");
  EXPECT_EQ(walks["position+color"]["steps"], 39);
  EXPECT_EQ(walks["position+color"]["prior"], "one prior");
  EXPECT_EQ(walks["position+not color"]["walk"], "final");
  EXPECT_EQ(walks["position+not color"]["steps"], 400);
  EXPECT_EQ(walks["position+not color"]["prior"], "summed");
  // The text names them before the table.
  run = ebm::test::run_binary(EBM_BINARY, ebm::test::concat(base, {"--quiet"}), d.f("stderr.txt"));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("walks: quick, 39 steps, around one prior: position+color; final, 400 steps, summed: "
                         "position+not color"),
            std::string::npos)
      << run.out;
  // A named walk and rule apply to every case.
  run = ebm::test::run_binary(
      EBM_BINARY, ebm::test::concat(base, {"--quality", "draft", "--prior", "each", "--json", "--quiet"}), d.f("stderr.txt"));
  ASSERT_EQ(run.code, 0) << run.err;
  for (const auto& [name, w] : nlohmann::json::parse(run.out)["walks"].items()) {
    EXPECT_EQ(w["walk"], "draft") << name;
    EXPECT_EQ(w["steps"], 27) << name;
    EXPECT_EQ(w["prior"], "summed") << name;
  }
}

}  // namespace
}  // namespace ebm::eval
