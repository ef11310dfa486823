#include "engine/energy/node.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

namespace ebm {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::invalid_argument(path + ": " + what);
}

void validate_node(const Node& n, const std::string& path, int depth, int* count, std::set<std::string>* names) {
  if (depth > kMaxCompositionDepth) fail(path, "composition nested deeper than " + std::to_string(kMaxCompositionDepth) + " levels");
  if (++*count > kMaxCompositionNodes) fail(path, "composition has more than " + std::to_string(kMaxCompositionNodes) + " nodes");
  check_weight(n.weight, path + ".weight");
  if (n.shared_prior && n.kind != NodeKind::And && n.kind != NodeKind::Not)
    fail(path + ".prior", "only an and or a not node can share one prior among its terms");
  switch (n.kind) {
    case NodeKind::Term: {
      if (n.name.empty()) fail(path + ".name", "every term needs a non-empty name");
      if (!names->insert(n.name).second) fail(path + ".name", "term name '" + n.name + "' is used twice; names must be unique");
      if (n.model.empty()) fail(path + ".model", "term '" + n.name + "' names no model");
      check_label(n.label, path + ".label");
      if (!n.children.empty()) fail(path + ".children", "a term has no children");
      if (n.guidance) check_guidance(*n.guidance, path + ".guidance");
      if (n.guidance_interval) check_guidance_interval(*n.guidance_interval, path + ".guidance_interval");
      if (n.mask.defined()) check_mask(n.mask, path + ".mask");
      return;
    }
    case NodeKind::Or:
      check_temperature(n.temperature, path + ".temperature");
      [[fallthrough]];
    case NodeKind::And:
      if (n.children.empty()) fail(path + ".children", to_string(n.kind) + " needs at least one child");
      break;
    case NodeKind::Not:
      check_coefficient(n.coefficient, path + ".coefficient");
      if (n.children.size() != 2)
        fail(path + ".children", "not needs exactly two children (the concept and the one to subtract), got " +
                                     std::to_string(n.children.size()));
      break;
  }
  for (size_t i = 0; i < n.children.size(); ++i)
    validate_node(n.children[i], path + ".children[" + std::to_string(i) + "]", depth + 1, count, names);
}

void collect(const Node& n, std::vector<const Node*>* out) {
  if (n.kind == NodeKind::Term) out->push_back(&n);
  for (const auto& c : n.children) collect(c, out);
}

}  // namespace

void check_weight(double w, const std::string& where) {
  if (!std::isfinite(w)) fail(where, "must be a finite number");
}

void check_temperature(double t, const std::string& where) {
  if (!(t > 0) || !std::isfinite(t)) fail(where, "must be a finite number > 0 (the original uses 100)");
}

void check_coefficient(double c, const std::string& where) {
  if (!std::isfinite(c)) fail(where, "must be a finite number (the original uses 0.001)");
}

void check_guidance(double g, const std::string& where) {
  if (!(std::isfinite(g) && g >= 0 && g <= kMaxGuidance))
    fail(where, "must be a number in [0, " + std::to_string(static_cast<int>(kMaxGuidance)) + "] (1 = no guidance)");
}

void check_guidance_interval(const GuidanceInterval& iv, const std::string& where) {
  if (auto p = guidance_interval_problem(iv); !p.empty()) fail(where, p);
}

void check_label(const std::vector<float>& label, const std::string& where) {
  if (static_cast<int>(label.size()) > kMaxLabelSize) fail(where, "longer than " + std::to_string(kMaxLabelSize));
  for (size_t i = 0; i < label.size(); ++i)
    if (!std::isfinite(label[i])) fail(where + "[" + std::to_string(i) + "]", "must be finite");
}

void check_mask(const torch::Tensor& mask, const std::string& where) {
  if (mask.dim() != 2 || mask.size(0) < 1 || mask.size(1) < 1) fail(where, "must be a 2-D H×W map");
  auto m = mask.to(torch::kFloat);
  if (!torch::isfinite(m).all().item<bool>() || m.min().item<float>() < 0.f || m.max().item<float>() > 1.f)
    fail(where, "values must lie in [0, 1]");
}

std::string to_string(NodeKind k) {
  switch (k) {
    case NodeKind::Term: return "term";
    case NodeKind::And: return "and";
    case NodeKind::Or: return "or";
    case NodeKind::Not: return "not";
  }
  return "?";
}

NodeKind node_kind_from_string(const std::string& s) {
  if (s == "term") return NodeKind::Term;
  if (s == "and") return NodeKind::And;
  if (s == "or") return NodeKind::Or;
  if (s == "not") return NodeKind::Not;
  throw std::invalid_argument("unknown composition node '" + s + "' (expected term, and, or, not)");
}

Node Node::term(std::string name, std::string model, std::vector<float> label, double weight) {
  Node n;
  n.kind = NodeKind::Term;
  n.name = std::move(name);
  n.model = std::move(model);
  n.label = std::move(label);
  n.weight = weight;
  return n;
}

Node Node::op(NodeKind kind, std::vector<Node> children) {
  Node n;
  n.kind = kind;
  n.children = std::move(children);
  return n;
}

void validate_structure(const Node& root) {
  int count = 0;
  std::set<std::string> names;
  validate_node(root, "composition", 0, &count, &names);
}

bool any_enabled_solo(const Node& n) {
  if (n.kind == NodeKind::Term) return n.solo && n.enabled;
  return std::any_of(n.children.begin(), n.children.end(), [](const Node& c) { return c.enabled && any_enabled_solo(c); });
}

std::vector<const Node*> collect_terms(const Node& root) {
  std::vector<const Node*> out;
  collect(root, &out);
  return out;
}

std::vector<std::string> referenced_models(const Node& root) {
  std::set<std::string> s;
  for (const Node* t : collect_terms(root)) s.insert(t->model);
  return {s.begin(), s.end()};
}

std::string node_path_text(const NodePath& path) {
  std::string s = "composition";
  for (int i : path) s += ".children[" + std::to_string(i) + "]";
  return s;
}

const Node& node_at(const Node& root, const NodePath& path) {
  const Node* n = &root;
  for (size_t k = 0; k < path.size(); ++k) {
    const int i = path[k];
    if (i < 0 || static_cast<size_t>(i) >= n->children.size())
      fail(node_path_text(NodePath(path.begin(), path.begin() + static_cast<long>(k) + 1)),
           "no such node (its parent has " + std::to_string(n->children.size()) + " children)");
    n = &n->children[static_cast<size_t>(i)];
  }
  return *n;
}

Node& node_at(Node& root, const NodePath& path) {
  return const_cast<Node&>(node_at(static_cast<const Node&>(root), path));
}

}  // namespace ebm
