// The grading arithmetic of `ebm eval` on planted predictions: every number of the table is known.
#include "engine/eval/grade_table.h"
#include "engine/eval/grade_targets.h"

#include <gtest/gtest.h>
#include <cmath>
#include <nlohmann/json.hpp>

namespace ebm::eval {
namespace {

using data::CubesConcept;

// Four samples with known predictions:
//   position vs (0, 0): distances 0, 0.05, 0.5, 1.0          → mean 0.3875, within 0.10: #0 #1
//   size vs 0.5:        errors 0, 0.02, 0.1, 0.1             → mean 0.055,  within 0.05: #0 #1
//   shape vs sphere:    argmax sphere, box, sphere, sphere   → accuracy 0.75 (#0 #2 #3)
//   colour vs red (0):  argmax red, red, green, blue         → accuracy 0.5  (#0 #1)
CubesPrediction planted() {
  CubesPrediction p;
  p.pos = torch::tensor({0.f, 0.f, 0.03f, 0.04f, 0.3f, 0.4f, -0.6f, 0.8f}).reshape({4, 2});
  p.size = torch::tensor({0.5f, 0.52f, 0.6f, 0.4f});
  p.shape_logits = torch::zeros({4, 3});
  p.shape_logits.index_put_({0, 1}, 5.f);
  p.shape_logits.index_put_({1, 0}, 5.f);
  p.shape_logits.index_put_({2, 1}, 5.f);
  p.shape_logits.index_put_({3, 1}, 5.f);
  p.color_logits = torch::zeros({4, 20});
  p.color_logits.index_put_({0, 0}, 3.f);
  p.color_logits.index_put_({1, 0}, 3.f);
  p.color_logits.index_put_({2, 1}, 3.f);
  p.color_logits.index_put_({3, 3}, 3.f);
  return p;
}

std::vector<float> one_hot(int n, int k) {
  std::vector<float> v(static_cast<size_t>(n), 0.f);
  v[static_cast<size_t>(k)] = 1.f;
  return v;
}

GradeTarget target(CubesConcept c, std::vector<float> label, bool negated = false) {
  GradeTarget t;
  t.term = data::to_string(c);
  t.model = t.term;
  t.concept = c;
  t.label = std::move(label);
  t.negated = negated;
  return t;
}

const GradeTarget kPos = target(CubesConcept::Position, {0.f, 0.f});
const GradeTarget kSize = target(CubesConcept::Size, {0.5f});
const GradeTarget kSphere = target(CubesConcept::Shape, one_hot(3, 1));
const GradeTarget kRed = target(CubesConcept::Color, one_hot(20, 0));
const GradeTarget kNotRed = target(CubesConcept::Color, one_hot(20, 0), true);

constexpr double kEps = 1e-6;

TEST(EvalGrade, SingleConceptsOnPlantedPredictions) {
  const auto p = planted();
  auto pos = grade("position", p, {kPos});
  ASSERT_EQ(pos.rows.size(), 1u);
  EXPECT_EQ(pos.n, 4);
  EXPECT_EQ(pos.rows[0].metric, "position error");
  EXPECT_NEAR(pos.rows[0].value, 0.3875, kEps);
  EXPECT_NEAR(pos.rows[0].met, 0.5, kEps);
  EXPECT_FALSE(pos.rows[0].pass);  // mean error 0.39 > 0.10
  EXPECT_NEAR(pos.all_met, 0.5, kEps);

  auto size = grade("size", p, {kSize});
  EXPECT_NEAR(size.rows[0].value, 0.055, kEps);
  EXPECT_NEAR(size.rows[0].met, 0.5, kEps);
  EXPECT_FALSE(size.rows[0].pass);

  auto shape = grade("shape", p, {kSphere});
  EXPECT_EQ(shape.rows[0].metric, "shape accuracy");
  EXPECT_NEAR(shape.rows[0].value, 0.75, kEps);
  EXPECT_NEAR(shape.rows[0].met, 0.75, kEps);
  EXPECT_FALSE(shape.rows[0].pass);  // < 90 %

  auto color = grade("color", p, {kRed});
  EXPECT_NEAR(color.rows[0].value, 0.5, kEps);
  EXPECT_NEAR(color.rows[0].met, 0.5, kEps);
}

TEST(EvalGrade, ConjunctionsCountSamplesMeetingEveryTarget) {
  const auto p = planted();
  auto ps = grade("position+size", p, {kPos, kSize});
  ASSERT_EQ(ps.rows.size(), 2u);
  EXPECT_NEAR(ps.rows[0].value, 0.3875, kEps);
  EXPECT_NEAR(ps.rows[1].value, 0.055, kEps);
  EXPECT_NEAR(ps.all_met, 0.5, kEps);  // #0 #1 meet both

  auto sc = grade("shape+color", p, {kSphere, kRed});
  EXPECT_NEAR(sc.all_met, 0.25, kEps);  // only #0 is a red sphere

  auto pc = grade("position+color", p, {kPos, kRed});
  EXPECT_NEAR(pc.all_met, 0.5, kEps);
  auto psh = grade("position+shape", p, {kPos, kSphere});
  EXPECT_NEAR(psh.all_met, 0.25, kEps);  // #0 (#1 is a box)
}

TEST(EvalGrade, NegationGradesTheFractionWithoutTheProperty) {
  const auto p = planted();
  auto t = grade("position+not color", p, {kPos, kNotRed});
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[1].metric, "colour accuracy");
  EXPECT_NEAR(t.rows[1].value, 0.5, kEps);  // the positive concept's accuracy, for information
  EXPECT_NEAR(t.rows[1].met, 0.5, kEps);    // #2 #3 are not red
  EXPECT_FALSE(t.rows[1].pass);
  EXPECT_NEAR(t.all_met, 0.0, kEps);        // the samples at (0,0) are exactly the red ones
  EXPECT_EQ(t.rows[1].target.describe(), "not red");

  // Negated continuous concepts: outside the tolerance counts.
  auto far = grade("not position", p, {target(CubesConcept::Position, {0.f, 0.f}, true)});
  EXPECT_NEAR(far.rows[0].met, 0.5, kEps);
}

TEST(EvalGrade, PassesAtTheIssueThresholds) {
  CubesPrediction p;
  p.pos = torch::tensor({0.05f, 0.f, 0.f, 0.09f}).reshape({2, 2});
  p.size = torch::tensor({0.54f, 0.47f});
  p.shape_logits = torch::tensor({0.f, 1.f, 0.f, 0.f, 1.f, 0.f}).reshape({2, 3});
  p.color_logits = torch::zeros({2, 20});
  p.color_logits.index_put_({0, 5}, 1.f);
  p.color_logits.index_put_({1, 6}, 1.f);
  auto t = grade("all", p, {kPos, kSize, kSphere, kNotRed});
  EXPECT_NEAR(t.rows[0].value, 0.07, kEps);
  EXPECT_NEAR(t.rows[1].value, 0.035, kEps);
  for (const auto& r : t.rows) EXPECT_TRUE(r.pass) << r.metric;
  EXPECT_TRUE(t.pass());
  EXPECT_NEAR(t.all_met, 1.0, kEps);
}

TEST(EvalGrade, CombineWeighsTablesBySampleCount) {
  const auto p = planted();
  auto a = grade("position+size", p, {kPos, kSize});  // n 4, position error 0.3875, all 0.5
  CubesPrediction q;  // n 2, both perfect
  q.pos = torch::zeros({2, 2});
  q.size = torch::full({2}, 0.5f);
  q.shape_logits = torch::zeros({2, 3});
  q.color_logits = torch::zeros({2, 20});
  auto b = grade("position+size", q, {kPos, kSize});
  auto c = combine("position+size", {a, b});
  EXPECT_EQ(c.n, 6);
  EXPECT_EQ(c.rows[0].labels, 2);
  EXPECT_NEAR(c.rows[0].value, 0.3875 * 4 / 6, kEps);
  EXPECT_NEAR(c.rows[1].value, 0.055 * 4 / 6, kEps);
  EXPECT_NEAR(c.rows[0].met, (0.5 * 4 + 2) / 6, kEps);
  EXPECT_NEAR(c.all_met, (0.5 * 4 + 2) / 6, kEps);
  EXPECT_THROW(combine("x", {a, grade("color", p, {kRed})}), std::invalid_argument);
  // The fraction of samples with an object pools like the rates; a part that did not measure it
  // (−1) is left out rather than counted as none.
  EXPECT_LT(c.objects_found, 0);
  a.objects_found = 0.25;
  b.objects_found = 1.0;
  EXPECT_NEAR(combine("position+size", {a, b}).objects_found, (0.25 * 4 + 2) / 6, kEps);
  b.objects_found = -1;
  EXPECT_NEAR(combine("position+size", {a, b}).objects_found, 0.25, kEps);
  // The MALA/HMC acceptance pools the same way.
  EXPECT_LT(combine("position+size", {a, b}).acceptance, 0);
  a.acceptance = 0.5;
  b.acceptance = 0.8;
  EXPECT_NEAR(combine("position+size", {a, b}).acceptance, (0.5 * 4 + 0.8 * 2) / 6, kEps);
  b.acceptance = -1;
  EXPECT_NEAR(combine("position+size", {a, b}).acceptance, 0.5, kEps);
}

TEST(EvalGrade, TableAndJsonShowTheNumbers) {
  const auto p = planted();
  auto t = grade("position+not color", p, {kPos, kNotRed});
  const std::string text = format_tables({t});
  EXPECT_NE(text.find("position+not color"), std::string::npos) << text;
  EXPECT_NE(text.find("not red"), std::string::npos) << text;
  EXPECT_NE(text.find("all at once"), std::string::npos) << text;
  EXPECT_NE(text.find("(n = 4)"), std::string::npos) << text;
  nlohmann::json j = t;
  EXPECT_EQ(j["n"], 4);
  EXPECT_EQ(j["rows"][1]["negated"], true);
  EXPECT_EQ(j["rows"][1]["target"], "not red");
  EXPECT_NEAR(j["rows"][0]["value"].get<double>(), 0.3875, kEps);
  EXPECT_NEAR(j["all_met"].get<double>(), 0.0, kEps);
  EXPECT_EQ(j["pass"], false);
  EXPECT_FALSE(j.contains("objects_found"));
  EXPECT_EQ(text.find("objects found"), std::string::npos);
  t.objects_found = 0.75;
  j = t;
  EXPECT_NEAR(j["objects_found"].get<double>(), 0.75, kEps);
  EXPECT_NE(format_tables({t}).find("objects found"), std::string::npos);
  EXPECT_FALSE(j.contains("acceptance"));
  t.acceptance = 0.61;
  j = t;
  EXPECT_NEAR(j["acceptance"].get<double>(), 0.61, kEps);
  EXPECT_NE(format_tables({t}).find("acceptance"), std::string::npos);
}

// A grader that counts objects: samples 0..3 of planted() read as one, one, none, two objects.
CubesPrediction planted_counting() {
  auto p = planted();
  p.count_logits = torch::zeros({4, 3});
  p.count_logits.index_put_({0, 1}, 4.f);
  p.count_logits.index_put_({1, 1}, 4.f);
  p.count_logits.index_put_({2, 0}, 4.f);
  p.count_logits.index_put_({3, 2}, 4.f);
  return p;
}

TEST(EvalGrade, ACountingGraderRequiresExactlyOneObjectAndReportsFoundAndMultiple) {
  auto p = planted_counting();
  // Colour red is met by #0 #1, both single objects: all-met stays 0.5.
  auto t = grade("color", p, {kRed});
  EXPECT_NEAR(t.objects_found, 0.75, kEps);
  EXPECT_NEAR(t.multiple_objects, 0.25, kEps);
  EXPECT_NEAR(t.all_met, 0.5, kEps);
  // Shape sphere is read in #0 #2 #3, but #2 is an empty floor and #3 holds two objects.
  t = grade("shape", p, {kSphere});
  EXPECT_NEAR(t.rows[0].met, 0.5, kEps);    // the empty floor meets no row, whatever the head reads
  EXPECT_NEAR(t.rows[0].value, 0.5, kEps);  // #0 and #3's attribute: the row reads two objects' head
  EXPECT_NEAR(t.all_met, 0.25, kEps);       // only #0 meets it with one object
  EXPECT_FALSE(t.pass());
  // Without a count head the first grader's arithmetic is unchanged.
  t = grade("shape", planted(), {kSphere});
  EXPECT_NEAR(t.all_met, 0.75, kEps);
  EXPECT_LT(t.multiple_objects, 0);
}

// An empty floor shows no concept: each row takes its worst value there — not what the heads read on
// it (the position head extrapolates far outside the label square on an empty floor).
TEST(EvalGrade, AnEmptyFloorTakesEachRowsWorstValueNotWhatTheHeadsReadThere) {
  auto p = planted_counting();  // #2 reads as no object
  p.pos.index_put_({2}, torch::tensor({7.f, 5.f}));
  auto t = grade("position", p, {kPos});
  EXPECT_NEAR(t.rows[0].value, (0 + 0.05 + 2 * std::sqrt(2.0) + 1.0) / 4, 1e-5);
  EXPECT_NEAR(t.rows[0].met, 0.5, kEps);
  t = grade("size", p, {kSize});
  EXPECT_NEAR(t.rows[0].value, (0 + 0.02 + 0.4 + 0.1) / 4, 1e-5);
  // A negated row: the empty floor counts as showing the colour it must not (value: the share red).
  t = grade("not red", p, {kNotRed});
  EXPECT_NEAR(t.rows[0].value, 0.75, kEps);
  EXPECT_NEAR(t.rows[0].met, 0.25, kEps);  // only #3, blue
  // Without a count head nothing is known to be empty: the heads' readings stand.
  auto q = planted();
  q.pos.index_put_({2}, torch::tensor({7.f, 5.f}));
  EXPECT_GT(grade("position", q, {kPos}).rows[0].value, 2.0);
}

TEST(EvalGrade, CaseTargetsDependOnTheNumberOfConcepts) {
  EXPECT_NEAR(case_targets(1).min_all_met, 0.90, kEps);
  EXPECT_NEAR(case_targets(2).min_all_met, 0.90, kEps);
  EXPECT_NEAR(case_targets(3).min_all_met, 0.80, kEps);
  EXPECT_NEAR(case_targets(4).min_all_met, 0.70, kEps);
  EXPECT_NEAR(case_targets(4).min_found, 0.98, kEps);
  EXPECT_NEAR(case_targets(4).max_multiple, 0.02, kEps);
  // Three perfect samples with one object each, and a fourth on target in every row but holding two
  // objects: every row passes, but all-met is 0.75 (under a three-concept case's 0.80) and two or
  // more objects 0.25 (over 0.02).
  CubesPrediction p;
  p.pos = torch::zeros({4, 2});
  p.size = torch::full({4}, 0.5f);
  p.shape_logits = torch::zeros({4, 3});
  p.shape_logits.index_put_({torch::indexing::Slice(), 1}, 5.f);
  p.color_logits = torch::zeros({4, 20});
  p.color_logits.index_put_({torch::indexing::Slice(), 5}, 5.f);  // not red
  p.count_logits = torch::zeros({4, 3});
  p.count_logits.index_put_({torch::indexing::Slice(0, 3), 1}, 5.f);
  p.count_logits.index_put_({3, 2}, 5.f);
  auto t = grade("position+size+shape", p, {kPos, kSize, kSphere});
  EXPECT_TRUE(t.rows_pass());
  EXPECT_NEAR(t.all_met, 0.75, kEps);
  EXPECT_NEAR(t.targets.min_all_met, 0.80, kEps);
  EXPECT_FALSE(t.pass());
  // The four-concept case asks 0.70 all-met, but two-or-more (0.25 > 0.02) still fails it.
  auto four = grade("four", p, {kPos, kSize, kSphere, kNotRed});
  EXPECT_NEAR(four.targets.min_all_met, 0.70, kEps);
  EXPECT_FALSE(four.pass());
  p.count_logits.index_put_({3, 2}, 0.f);
  p.count_logits.index_put_({3, 1}, 5.f);
  EXPECT_TRUE(grade("four", p, {kPos, kSize, kSphere, kNotRed}).pass());
}

TEST(EvalGrade, CombinePoolsMultipleObjectsAndAddsTheWallTime) {
  auto a = grade("color", planted_counting(), {kRed});  // n 4: multiple 0.25, found 0.75
  auto b = grade("color", planted(), {kRed});  // the first grader: no count head
  a.seconds = 2.0;
  b.seconds = 3.5;
  auto c = combine("color", {a, b});
  EXPECT_NEAR(c.multiple_objects, 0.25, kEps);  // b did not measure it: left out
  EXPECT_NEAR(c.seconds, 5.5, kEps);
  auto d = combine("color", {a, a});
  EXPECT_NEAR(d.multiple_objects, 0.25, kEps);
  EXPECT_NEAR(d.objects_found, 0.75, kEps);
  nlohmann::json j = d;
  EXPECT_NEAR(j["multiple_objects"].get<double>(), 0.25, kEps);
  EXPECT_NEAR(j["seconds"].get<double>(), 4.0, kEps);
  EXPECT_NEAR(j["targets"]["min_all_met"].get<double>(), 0.90, kEps);
  const std::string text = format_tables({d});
  EXPECT_NE(text.find("two or more"), std::string::npos) << text;
  EXPECT_NE(text.find("all, one object"), std::string::npos) << text;
  EXPECT_NE(text.find("4.0 s"), std::string::npos) << text;
}

TEST(EvalGrade, SplitSummaryPutsTheTwoSplitsSideBySide) {
  auto tune = grade("color", planted_counting(), {kRed});
  auto held = grade("color", planted(), {kRed});
  auto only = grade("shape", planted(), {kSphere});
  const std::string s = format_split_summary({tune}, {held, only});
  EXPECT_NE(s.find("held-out"), std::string::npos) << s;
  EXPECT_NE(s.find("2+ 0.25"), std::string::npos) << s;  // the tune split counted
  EXPECT_NE(s.find("shape"), std::string::npos) << s;
  EXPECT_NE(s.find("—"), std::string::npos) << s;  // shape was graded on one split only
}

// --per-label: a line per target label of a case, with its targets, all-met, found and 2+.
TEST(EvalGrade, PerLabelLinesShowWhichLabelsACaseMisses) {
  auto red = grade("color", planted_counting(), {kRed});
  auto green = grade("color", planted(), {target(CubesConcept::Color, one_hot(20, 1))});
  const std::string s = format_per_label({red, green});
  EXPECT_NE(s.find("target label"), std::string::npos) << s;
  EXPECT_NE(s.find("red"), std::string::npos) << s;
  EXPECT_NE(s.find("green"), std::string::npos) << s;
  EXPECT_EQ(s.find("color"), s.rfind("color")) << s;  // the case named once, on its first label
  EXPECT_NE(s.find(std::to_string(red.n)), std::string::npos) << s;
  char met[16];
  std::snprintf(met, sizeof met, "%.2f", green.all_met);
  EXPECT_NE(s.find(met), std::string::npos) << s;
  EXPECT_NE(s.find(" - "), std::string::npos) << s;  // the non-counting part has no found / 2+
}

TEST(EvalGrade, RejectsEmptyInput) {
  CubesPrediction p;
  EXPECT_THROW(grade("x", p, {kPos}), std::invalid_argument);
  EXPECT_THROW(grade("x", planted(), {}), std::invalid_argument);
}

}  // namespace
}  // namespace ebm::eval
