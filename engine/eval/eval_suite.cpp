#include "engine/eval/eval_suite.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cstdlib>

namespace ebm::eval {

namespace fs = std::filesystem;
using data::CubesConcept;

fs::path find_models_dir(const std::string& exe_path, const std::string& assets_dir) {
  return find_shipped_dir(ShippedKind::Models, exe_path, assets_dir);
}

std::vector<std::pair<CubesConcept, fs::path>> concept_model_files(const fs::path& dir) {
  std::vector<std::pair<CubesConcept, fs::path>> out;
  std::error_code ec;
  for (auto c : {CubesConcept::Position, CubesConcept::Size, CubesConcept::Shape, CubesConcept::Color}) {
    const fs::path p = dir / (data::to_string(c) + ".safetensors");
    if (fs::is_regular_file(p, ec)) out.emplace_back(c, fs::absolute(p, ec));
  }
  return out;
}

std::vector<SuiteCase> standard_cases() {
  using C = CubesConcept;
  return {
      {"position", {C::Position}, false},
      {"size", {C::Size}, false},
      {"shape", {C::Shape}, false},
      {"color", {C::Color}, false},
      {"position+size", {C::Position, C::Size}, false},
      {"position+shape", {C::Position, C::Shape}, false},
      {"position+color", {C::Position, C::Color}, false},
      {"shape+color", {C::Shape, C::Color}, false},
      {"position+not color", {C::Position, C::Color}, true},
      // Appended, so the target labels of the cases above (seeded by case index) stay as they were.
      {"shape+not color", {C::Shape, C::Color}, true},
      {"position+size+shape", {C::Position, C::Size, C::Shape}, false},
      {"position+shape+color", {C::Position, C::Shape, C::Color}, false},
      {"position+size+shape+color", {C::Position, C::Size, C::Shape, C::Color}, false},
  };
}

std::string to_string(SuiteSplit s) { return s == SuiteSplit::Tune ? "tune" : "heldout"; }

SuiteSplit suite_split_from_string(const std::string& s) {
  if (s == "tune") return SuiteSplit::Tune;
  if (s == "heldout" || s == "held-out") return SuiteSplit::Heldout;
  throw std::invalid_argument("unknown suite split '" + s + "' (expected tune or heldout)");
}

SuiteSeeds suite_seeds(SuiteSplit s) {
  // The held-out pair: two primes nothing else in the project uses as a seed.
  return s == SuiteSplit::Tune ? SuiteSeeds{0, 0} : SuiteSeeds{7919, 104729};
}

std::vector<std::vector<float>> draw_labels(CubesConcept c, int count, torch::Generator gen) {
  // Targets come from the same distribution as the training scenes, so every target is one the
  // models have seen labels around.
  const auto scenes = data::sample_scenes(count, gen);
  const auto lab = data::concept_labels(scenes.first, c).contiguous();
  std::vector<std::vector<float>> out;
  for (int i = 0; i < count; ++i) {
    const auto row = lab[i];
    out.emplace_back(row.data_ptr<float>(), row.data_ptr<float>() + row.size(0));
  }
  return out;
}

std::vector<float> one_object_label() { return {0.f, 1.f, 0.f}; }

namespace {
// Adds `extra` to a case's composition: into a conjunction, around a single term, or on the positive
// side of a negation (Not keeps exactly two children).
Node with_term(Node composition, Node extra, bool shared_prior) {
  if (composition.kind == NodeKind::And) {
    composition.children.push_back(std::move(extra));
    return composition;
  }
  if (composition.kind == NodeKind::Not) {
    Node positive = Node::op(NodeKind::And, {std::move(composition.children[0]), std::move(extra)});
    positive.shared_prior = shared_prior;
    composition.children[0] = std::move(positive);
    return composition;
  }
  Node both = Node::op(NodeKind::And, {std::move(composition), std::move(extra)});
  both.shared_prior = shared_prior;
  return both;
}

// Adds the count term to a case's composition: into a conjunction, around a single term, or on the
// positive side of a negation (Not keeps exactly two children).
Node with_count_term(Node composition, const SuiteOptions& opt, bool shared) {
  Node count = Node::term(kCountTerm, kCountTerm, one_object_label());
  count.guidance = opt.count_guidance;
  return with_term(std::move(composition), std::move(count), shared);
}

}  // namespace

std::map<CubesConcept, double> parse_concept_values(const std::vector<std::string>& items, const std::string& flag,
                                                    double lo, double hi) {
  std::map<CubesConcept, double> out;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    auto bad = [&](const std::string& why) {
      return std::invalid_argument(flag + " '" + item + "': " + why + " (expected CONCEPT=VALUE, e.g. size=1.5)");
    };
    if (eq == std::string::npos) throw bad("no '='");
    CubesConcept c;
    try {
      c = data::cubes_concept_from_string(item.substr(0, eq));
    } catch (const std::invalid_argument&) {
      throw bad("unknown concept '" + item.substr(0, eq) + "' (position, size, shape or color)");
    }
    double v = 0;
    size_t used = 0;
    try {
      v = std::stod(item.substr(eq + 1), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() - eq - 1) throw bad("'" + item.substr(eq + 1) + "' is not a number");
    if (!(v >= lo && v <= hi)) throw bad("the value must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    if (!out.emplace(c, v).second) throw bad("the concept is given twice");
  }
  return out;
}

bool one_prior_by_rule(const SuiteCase& c) {
  if (c.concepts.size() >= 3 && !c.negate_last) return true;  // three concepts pull: guidance_rule.h
  const auto last = std::prev(c.concepts.end());
  for (auto it = c.concepts.begin(); it != c.concepts.end(); ++it)
    if (*it == CubesConcept::Color && !(c.negate_last && it == last)) return true;  // alone: with its place or count term
  return false;
}

std::vector<SuiteRecipe> suite_recipes(const std::vector<std::pair<CubesConcept, fs::path>>& files,
                                       const SuiteOptions& opt, const SamplerParams& base,
                                       std::vector<std::string>* skipped) {
  if (opt.labels_per_case < 1 || opt.labels_per_case > 1000)
    throw std::invalid_argument("--labels must be 1 … 1000 (got " + std::to_string(opt.labels_per_case) + ")");
  auto file_of = [&](CubesConcept c) -> const fs::path* {
    for (const auto& [k, p] : files)
      if (k == c) return &p;
    return nullptr;
  };
  // One label generator per concept, so adding a case never changes another case's targets.
  std::vector<SuiteRecipe> out;
  const auto cases = standard_cases();
  for (size_t ci = 0; ci < cases.size(); ++ci) {
    const auto& sc = cases[ci];
    const bool have = std::all_of(sc.concepts.begin(), sc.concepts.end(), [&](CubesConcept c) { return file_of(c); });
    if (!have) {
      if (skipped) skipped->push_back(sc.name);
      continue;
    }
    std::vector<std::vector<std::vector<float>>> labels;  // [concept][label index]
    for (size_t k = 0; k < sc.concepts.size(); ++k) {
      auto gen = at::detail::createCPUGenerator(opt.label_seed * 1000003ULL + ci * 16 + k);
      labels.push_back(draw_labels(sc.concepts[k], opt.labels_per_case, gen));
    }
    const bool shared = opt.shared_prior.value_or(one_prior_by_rule(sc));
    const bool place = opt.place && file_of(CubesConcept::Position) &&
                       std::find(sc.concepts.begin(), sc.concepts.end(), CubesConcept::Position) == sc.concepts.end();
    for (int li = 0; li < opt.labels_per_case; ++li) {
      SuiteRecipe sr;
      sr.case_name = sc.name;
      sr.label_index = li;
      Recipe& r = sr.recipe;
      std::vector<Node> terms;
      for (size_t k = 0; k < sc.concepts.size(); ++k) {
        const std::string name = data::to_string(sc.concepts[k]);
        if (std::none_of(r.models.begin(), r.models.end(), [&](const ModelRef& m) { return m.name == name; }))
          r.models.push_back({name, file_of(sc.concepts[k])->string(), ""});
        terms.push_back(Node::term(name, name, labels[k][static_cast<size_t>(li)]));
        terms.back().guidance = opt.guidance;
        if (auto w = opt.concept_weight.find(sc.concepts[k]); w != opt.concept_weight.end()) terms.back().weight = w->second;
        if (auto g = opt.concept_guidance.find(sc.concepts[k]); g != opt.concept_guidance.end())
          terms.back().guidance = g->second;
        terms.back().guidance_interval = opt.guidance_interval;
      }
      if (terms.size() == 1) {
        r.composition = terms[0];
      } else if (sc.negate_last) {
        r.composition = Node::op(NodeKind::Not, terms);
        r.composition.coefficient = opt.not_coefficient;
        r.composition.shared_prior = shared;
      } else {
        r.composition = Node::op(NodeKind::And, terms);
        r.composition.shared_prior = shared;
      }
      if (place) {
        const std::string pos = data::to_string(CubesConcept::Position);
        r.models.push_back({pos, file_of(CubesConcept::Position)->string(), ""});
        Node at = Node::term(kPlaceTerm, pos);
        at.any_label = true;  // a position per sample, drawn from the schema: [−1, 1]², as the scenes
        at.guidance = opt.guidance;
        at.guidance_interval = opt.guidance_interval;
        r.composition = with_term(std::move(r.composition), std::move(at), shared);
      }
      if (!opt.count_model.empty()) {
        r.models.push_back({kCountTerm, opt.count_model.string(), ""});
        r.composition = with_count_term(std::move(r.composition), opt, shared);
      }
      r.sampler = base;
      r.sampler.seed = opt.seed;
      r.sampler.device = opt.device;
      r.sampler.sample_offset = 0;
      r.sampler.sample_ids.clear();
      out.push_back(std::move(sr));
    }
  }
  return out;
}

}  // namespace ebm::eval
