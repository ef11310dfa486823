#include "engine/eval/grade_table.h"

#include <cstdio>
#include <stdexcept>

namespace ebm::eval {

namespace {

using data::CubesConcept;

std::string metric_name(CubesConcept c) {
  switch (c) {
    case CubesConcept::Position: return "position error";
    case CubesConcept::Size: return "size error";
    case CubesConcept::Shape: return "shape accuracy";
    case CubesConcept::Color: return "colour accuracy";
  }
  return {};
}

bool is_error_metric(CubesConcept c) { return c == CubesConcept::Position || c == CubesConcept::Size; }

bool row_passes(const GradeRow& r) {
  const auto c = r.target.concept;
  if (r.target.negated || !is_error_metric(c)) return r.met >= kAccuracyTarget;
  return r.value <= (c == CubesConcept::Position ? kPositionTolerance : kSizeTolerance);
}

// [n, L] labels of the target for every sample, on the predictions' device.
torch::Tensor target_labels(const train::CubesPrediction& p, const GradeTarget& t) {
  auto one = torch::tensor(t.label, torch::kFloat).to(p.pos.device());
  return one.unsqueeze(0).expand({p.pos.size(0), one.size(0)});
}

std::string line(const char* fmt_, const std::string& a, const std::string& b, const std::string& c,
                 const std::string& d, const std::string& e, const std::string& f, const std::string& g) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt_, a.c_str(), b.c_str(), c.c_str(), d.c_str(), e.c_str(), f.c_str(), g.c_str());
  return buf;
}

std::string num(double v, int prec = 3) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

// A sample-weighted mean of a per-table figure that a table may lack (−1: not measured): the
// tables that lack it are left out rather than counted as 0; −1 when none has it.
struct PooledMean {
  double sum = 0;
  int64_t n = 0;
  void add(double value, int64_t samples) {
    if (value < 0) return;
    sum += value * static_cast<double>(samples);
    n += samples;
  }
  double mean() const { return n > 0 ? sum / static_cast<double>(n) : -1.0; }
};

}  // namespace

bool GradeTable::pass() const {
  for (const auto& r : rows)
    if (!r.pass) return false;
  return !rows.empty();
}

torch::Tensor target_met(const train::CubesPrediction& p, const GradeTarget& t) {
  const auto g = train::grade_concept(p, t.concept, target_labels(p, t));
  torch::Tensor has;
  switch (t.concept) {
    case CubesConcept::Position: has = g <= kPositionTolerance; break;
    case CubesConcept::Size: has = g <= kSizeTolerance; break;
    case CubesConcept::Shape:
    case CubesConcept::Color: has = g > 0.5; break;
  }
  return t.negated ? has.logical_not() : has;
}

GradeTable grade(const std::string& name, const train::CubesPrediction& p, const std::vector<GradeTarget>& targets) {
  if (!p.pos.defined() || p.pos.size(0) == 0) throw std::invalid_argument("grade: no samples to grade");
  if (targets.empty()) throw std::invalid_argument("grade: no targets");
  GradeTable t;
  t.name = name;
  t.n = p.pos.size(0);
  auto all = torch::ones({t.n}, torch::TensorOptions().dtype(torch::kBool).device(p.pos.device()));
  for (const auto& target : targets) {
    GradeRow r;
    r.target = target;
    r.metric = metric_name(target.concept);
    r.value = train::grade_concept(p, target.concept, target_labels(p, target)).mean().item<double>();
    const auto met = target_met(p, target);
    r.met = met.to(torch::kFloat).mean().item<double>();
    all = all.logical_and(met);
    r.pass = row_passes(r);
    t.rows.push_back(std::move(r));
  }
  t.all_met = all.to(torch::kFloat).mean().item<double>();
  return t;
}

GradeTable combine(const std::string& name, const std::vector<GradeTable>& parts) {
  if (parts.empty()) throw std::invalid_argument("combine: no tables");
  GradeTable t;
  t.name = name;
  t.rows = parts.front().rows;
  for (auto& r : t.rows) r.value = r.met = 0, r.labels = 0;
  PooledMean found, accepted;  // over the parts that measured them
  for (const auto& p : parts) {
    if (p.rows.size() != t.rows.size()) throw std::invalid_argument("combine: tables of different cases");
    for (size_t i = 0; i < p.rows.size(); ++i) {
      const auto &a = p.rows[i].target, &b = t.rows[i].target;
      if (a.concept != b.concept || a.negated != b.negated) throw std::invalid_argument("combine: tables of different cases");
      t.rows[i].value += p.rows[i].value * static_cast<double>(p.n);
      t.rows[i].met += p.rows[i].met * static_cast<double>(p.n);
      t.rows[i].labels += p.rows[i].labels;
    }
    t.all_met += p.all_met * static_cast<double>(p.n);
    found.add(p.objects_found, p.n);
    accepted.add(p.acceptance, p.n);
    t.n += p.n;
  }
  if (t.n == 0) throw std::invalid_argument("combine: no samples");
  for (auto& r : t.rows) {
    r.value /= static_cast<double>(t.n);
    r.met /= static_cast<double>(t.n);
    r.pass = row_passes(r);
  }
  t.all_met /= static_cast<double>(t.n);
  t.objects_found = found.mean();
  t.acceptance = accepted.mean();
  return t;
}

std::string format_tables(const std::vector<GradeTable>& tables) {
  const char* f = "%-18s %-10s %-16s %-16s %7s %6s %-4s\n";
  std::string s = line(f, "case", "concept", "target", "metric", "value", "met", "pass");
  for (const auto& t : tables) {
    bool first = true;
    for (const auto& r : t.rows) {
      const std::string pooled = std::to_string(r.labels) + " labels";
      const std::string target =
          r.labels == 1 ? r.target.describe() : r.target.negated ? "not (" + pooled + ")" : pooled;
      s += line(f, first ? t.name : "", data::to_string(r.target.concept), target, r.metric,
                num(r.value), num(r.met, 2), r.pass ? "yes" : "no");
      first = false;
    }
    if (t.rows.size() > 1)
      s += line(f, "", "", "", "all at once", "", num(t.all_met, 2), t.pass() ? "yes" : "no");
    if (t.objects_found >= 0) s += line(f, "", "", "", "objects found", num(t.objects_found, 2), "", "");
    if (t.acceptance >= 0) s += line(f, "", "", "", "acceptance", num(t.acceptance, 2), "", "");
    s += line("%-18s %s%s%s%s%s%s\n", "", "(n = " + std::to_string(t.n) + ")", "", "", "", "", "");
  }
  return s;
}

void to_json(nlohmann::json& j, const GradeRow& r) {
  if (r.labels != 1) {  // pooled over several labels: no single label to show
    j = {{"model", r.target.model}, {"concept", data::to_string(r.target.concept)}, {"negated", r.target.negated},
         {"labels", r.labels},      {"metric", r.metric}, {"value", r.value}, {"met", r.met}, {"pass", r.pass}};
    return;
  }
  j = {{"term", r.target.term},     {"model", r.target.model},   {"concept", data::to_string(r.target.concept)},
       {"label", r.target.label},   {"negated", r.target.negated}, {"target", r.target.describe()},
       {"metric", r.metric},        {"value", r.value},          {"met", r.met},
       {"pass", r.pass},            {"labels", r.labels}};
}

void to_json(nlohmann::json& j, const GradeTable& t) {
  j = {{"case", t.name}, {"n", t.n}, {"rows", t.rows}, {"all_met", t.all_met}, {"pass", t.pass()}};
  if (t.objects_found >= 0) j["objects_found"] = t.objects_found;
  if (t.acceptance >= 0) j["acceptance"] = t.acceptance;
}

}  // namespace ebm::eval
