// Controller: the composition draft (tree edits, labels, weights) and the terms' spatial masks.
#include "app/studio/controller.h"

#include "engine/energy/evaluation_cost.h"
#include "engine/energy/guidance_rule.h"
#include "engine/recipe/default_walk.h"
#include "engine/recipe/runnable.h"

#include <algorithm>
#include <stdexcept>

namespace ebm::studio {

namespace {

std::string path_text(const NodePath& p) {
  std::string s = "root";
  for (int i : p) s += "/" + std::to_string(i);
  return s;
}

void collect_paths(const Node& n, NodePath& cur, std::vector<NodePath>& out) {
  if (n.kind == NodeKind::Term) out.push_back(cur);
  for (size_t i = 0; i < n.children.size(); ++i) {
    cur.push_back(static_cast<int>(i));
    collect_paths(n.children[i], cur, out);
    cur.pop_back();
  }
}

torch::Tensor mask_tensor(const MaskImage& m) {
  return torch::from_blob(const_cast<float*>(m.values.data()), {m.height, m.width}, torch::kFloat).clone();
}

}  // namespace

const Node* Controller::node(const NodePath& p) const {
  const Node* n = &doc_;
  for (int i : p) {
    if (i < 0 || static_cast<size_t>(i) >= n->children.size()) return nullptr;
    n = &n->children[static_cast<size_t>(i)];
  }
  return n;
}

Node* Controller::mutable_node(const NodePath& p) {
  const Node* n = node(p);
  if (n == nullptr) throw std::out_of_range("no composition node at " + path_text(p));
  return const_cast<Node*>(n);
}

std::vector<NodePath> Controller::term_paths() const {
  std::vector<NodePath> out;
  NodePath cur;
  collect_paths(doc_, cur, out);
  return out;
}

NodePath Controller::term_path(int term_index) const {
  auto paths = term_paths();
  if (term_index < 0 || static_cast<size_t>(term_index) >= paths.size())
    throw std::out_of_range("term " + std::to_string(term_index) + " does not exist (the composition has " +
                            std::to_string(paths.size()) + " terms, numbered from 0)");
  return paths[static_cast<size_t>(term_index)];
}

NodePath Controller::term_path(const std::string& term_name) const {
  for (const auto& p : term_paths())
    if (node(p)->name == term_name) return p;
  throw std::out_of_range("no term named '" + term_name + "' in the composition");
}

std::string Controller::unique_term_name(const std::string& base) const {
  auto taken = [&](const std::string& n) {
    for (const auto& p : term_paths())
      if (node(p)->name == n) return true;
    return false;
  };
  if (!taken(base)) return base;
  for (int i = 2;; ++i)
    if (!taken(base + " " + std::to_string(i))) return base + " " + std::to_string(i);
}

void Controller::submit_composition() {
  ++draft_version_;
  Node send = doc_;
  // Masks travel inside the tree as [H,W] tensors; the draft keeps them as paintable images.
  std::vector<Node*> stack{&send};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    if (n->kind == NodeKind::Term) {
      auto it = masks_.find(n->name);
      n->mask = it != masks_.end() ? mask_tensor(it->second) : torch::Tensor();
    }
    for (auto& c : n->children) stack.push_back(&c);
  }
  try {
    validate_structure(send);
  } catch (const std::exception& e) {
    // A draft may be incomplete while the user builds it (a Not with one child); say why it is not
    // sampled and keep sampling the last valid composition.
    doc_error_ = e.what();
    return;
  }
  doc_error_.clear();
  // A term whose model is still loading (a recipe just opened or dropped): the tree goes to the engine
  // when the model lands (collect_loads submits again), so a running chain does not report it missing.
  for (const auto& name : referenced_models(send))
    if (const ModelEntry* m = model(name); m != nullptr && m->state == ModelEntry::State::Loading) return;
  sync_schedule(send);  // before the composition, so its first step already runs on the right schedule
  session_->submit(cmd::SetComposition{std::move(send)});
}

void Controller::submit_edit(ValueEdit e) {
  // The engine holds the last valid draft: an edit of one of its values travels alone and compiles
  // nothing there. After an invalid draft the engine still samples an older tree, so the whole
  // draft goes (and says again why it cannot, if it still cannot).
  if (!doc_error_.empty()) {
    submit_composition();
    return;
  }
  ++draft_version_;
  try {
    validate_structure(doc_);  // no masks in the draft's tree: a check of values, no tensor work
  } catch (const std::exception& ex) {
    doc_error_ = ex.what();
    return;
  }
  session_->submit(cmd::EditValues{{std::move(e)}});
}

void Controller::sync_schedule(const Node& tree) {
  if (params_.schedule.annealed() && !auto_schedule_) return;  // the user's or the recipe's own schedule
  // The models arrive one background task at a time: the schedule is that of those already here.
  const ModelInfoLookup ready = ready_models();
  SamplerParams next = params_;
  next.schedule = {};  // the automatic ladder is recomputed from the terms now in the tree
  bool annealed = false;
  try {
    annealed = apply_model_schedule(next, tree, ready, walk_for(tree));
  } catch (const std::exception& e) {
    log_.error(e.what());
    return;
  }
  if (same_schedule(next.schedule, params_.schedule)) return;
  if (!annealed) {
    // The last denoising term left: back to the constant schedule's clamp and usual start.
    next.clamp = true;
    if (next.init == InitMode::Noise) next.init = InitMode::Gaussian;
  }
  params_ = std::move(next);
  const Schedule& s = params_.schedule;
  auto_schedule_ = annealed;
  session_->submit(cmd::SetSampler{params_});
  if (s.annealed())
    log_.info("denoising models: sampling on their annealed schedule, " + std::to_string(params_.total_steps()) +
              " steps over " + std::to_string(s.levels.size()) + " schedule entries (sigma " +
              std::to_string(s.levels.front().sigma) + " -> " + std::to_string(s.levels.back().sigma) + ")");
}

LadderOptions Controller::walk_for(const Node& tree) const { return walk_by_rule_ ? default_walk(tree) : ladder_; }

void Controller::set_walk_by_rule() {
  walk_by_rule_ = true;
  auto_schedule_ = true;
  params_.schedule = {};
  sync_schedule(doc_);
}

void Controller::set_ladder(const LadderOptions& l) {
  walk_by_rule_ = false;
  ladder_ = l;
  auto_schedule_ = true;  // the models' ladder walked this way replaces whatever schedule there was
  params_.schedule = {};
  sync_schedule(doc_);
}

ModelInfoLookup Controller::ready_models() const {
  return [this](const std::string& name) -> std::optional<ModelInfo> {
    const ModelEntry* m = model(name);
    if (m == nullptr || m->state != ModelEntry::State::Ready) return std::nullopt;
    return m->info;
  };
}

int Controller::evaluations_per_step() const { return ebm::evaluations_per_step(doc_, ready_models()); }

double Controller::default_guidance(const NodePath& path) const {
  const ModelEntry* m = model(node_at(doc_, path).model);
  if (m == nullptr) return 1.0;
  const auto crowded =
      crowded_terms(doc_, ready_models(), editing_image() ? GuidanceDefaults::ModelValues : GuidanceDefaults::CapCrowded);
  return default_term_guidance(m->info.guidance, crowded.count(path) > 0);
}

std::string Controller::add_term(const NodePath& parent, const std::string& model_name,
                                 std::optional<std::vector<float>> label, double weight) {
  Node* p = mutable_node(parent);
  if (p->kind == NodeKind::Term) throw std::invalid_argument("cannot add a term under a term; pick an And/Or/Not node");
  const ModelEntry* m = model(model_name);
  if (m == nullptr) throw std::invalid_argument("no model named '" + model_name + "' is loaded");
  std::vector<float> l = label ? *label : m->schema.default_label();
  if (label) m->schema.validate(l);  // throws with what is wrong with the label
  Node t = Node::term(unique_term_name(model_name), model_name, std::move(l), weight);
  const std::string name = t.name;
  p->children.push_back(std::move(t));
  submit_composition();
  return name;
}

void Controller::add_operator(const NodePath& parent, NodeKind kind) {
  if (kind == NodeKind::Term) throw std::invalid_argument("use add_term for terms");
  Node* p = mutable_node(parent);
  if (p->kind == NodeKind::Term) throw std::invalid_argument("cannot add an operator under a term");
  p->children.push_back(Node::op(kind, {}));
  submit_composition();
}

void Controller::remove_node(const NodePath& path) {
  if (path.empty()) {
    clear_composition();
    return;
  }
  NodePath parent(path.begin(), path.end() - 1);
  Node* p = mutable_node(parent);
  const auto idx = static_cast<size_t>(path.back());
  if (idx >= p->children.size()) throw std::out_of_range("no composition node at " + path_text(path));
  // Forget the masks of every term inside the removed subtree.
  std::vector<const Node*> stack{&p->children[idx]};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (n->kind == NodeKind::Term) masks_.erase(n->name);
    for (const auto& c : n->children) stack.push_back(&c);
  }
  p->children.erase(p->children.begin() + static_cast<long>(idx));
  submit_composition();
}

void Controller::move_node(const NodePath& path, int delta) {
  if (path.empty()) return;
  NodePath parent(path.begin(), path.end() - 1);
  Node* p = mutable_node(parent);
  const int i = path.back(), j = i + delta;
  if (j < 0 || j >= static_cast<int>(p->children.size())) return;
  std::swap(p->children[static_cast<size_t>(i)], p->children[static_cast<size_t>(j)]);
  submit_composition();
}

void Controller::set_term_model(const NodePath& p, const std::string& model_name) {
  Node* n = mutable_node(p);
  const ModelEntry* m = model(model_name);
  if (n->kind != NodeKind::Term || m == nullptr) throw std::invalid_argument("no model named '" + model_name + "'");
  if (n->model == model_name) return;
  n->model = model_name;
  if (static_cast<int>(n->label.size()) != m->schema.size()) n->label = m->schema.default_label();
  submit_composition();
}

void Controller::set_label(const NodePath& p, std::vector<float> label) {
  Node* n = mutable_node(p);
  if (n->kind != NodeKind::Term) throw std::invalid_argument("only terms have labels");
  if (const ModelEntry* m = model(n->model)) m->schema.validate(label);
  n->label = label;
  submit_edit(ValueEdit::term_label(p, std::move(label)));
}

void Controller::set_label_slot(const NodePath& p, int slot, float value) {
  Node* n = mutable_node(p);
  if (slot < 0 || static_cast<size_t>(slot) >= n->label.size())
    throw std::out_of_range("label slot " + std::to_string(slot) + " does not exist (term '" + n->name + "' has " +
                            std::to_string(n->label.size()) + ")");
  std::vector<float> l = n->label;
  l[static_cast<size_t>(slot)] = value;
  set_label(p, std::move(l));
}

void Controller::set_one_hot(const NodePath& p, int slot) {
  Node* n = mutable_node(p);
  if (slot < 0 || static_cast<size_t>(slot) >= n->label.size())
    throw std::out_of_range("one-hot slot " + std::to_string(slot) + " does not exist");
  std::vector<float> l(n->label.size(), 0.f);
  l[static_cast<size_t>(slot)] = 1.f;
  set_label(p, std::move(l));
}

void Controller::set_weight(const NodePath& p, double w) {
  if (!std::isfinite(w)) throw std::invalid_argument("weight must be a finite number");
  mutable_node(p)->weight = w;
  submit_edit(ValueEdit::weight(p, w));
}

void Controller::set_guidance(const NodePath& p, double g) {
  if (!(std::isfinite(g) && g >= 0 && g <= kMaxGuidance))
    throw std::invalid_argument("guidance must be a number in [0, 100] (1 = none)");
  Node* n = mutable_node(p);
  if (n->kind != NodeKind::Term) throw std::invalid_argument("guidance belongs to a term, not an operator");
  n->guidance = g;
  submit_edit(ValueEdit::guidance(p, g));
}

void Controller::set_guidance_interval(const NodePath& p, const GuidanceInterval& iv) {
  if (auto why = guidance_interval_problem(iv); !why.empty()) throw std::invalid_argument("guidance interval: " + why);
  Node* n = mutable_node(p);
  if (n->kind != NodeKind::Term) throw std::invalid_argument("a guidance interval belongs to a term, not an operator");
  n->guidance_interval = iv;
  submit_edit(ValueEdit::guidance_interval(p, iv));
}

void Controller::set_enabled(const NodePath& p, bool on) {
  mutable_node(p)->enabled = on;
  submit_composition();
}

void Controller::set_solo(const NodePath& p, bool on) {
  Node* n = mutable_node(p);
  if (n->kind != NodeKind::Term) throw std::invalid_argument("solo applies to terms");
  n->solo = on;
  submit_composition();
}

void Controller::set_any_label(const NodePath& p, bool on) {
  Node* n = mutable_node(p);
  if (n->kind != NodeKind::Term) throw std::invalid_argument("any label applies to terms");
  const ModelEntry* m = model(n->model);
  if (on && m != nullptr && m->state == ModelEntry::State::Ready && m->info.label_size == 0)
    throw std::invalid_argument("model '" + n->model + "' takes no label, so there is none to draw per sample");
  n->any_label = on;
  submit_composition();
}

void Controller::set_temperature(const NodePath& p, double t) {
  Node* n = mutable_node(p);
  n->temperature = t;
  // Only an Or has a temperature the engine reads; elsewhere it rides along with the next tree.
  if (n->kind == NodeKind::Or) submit_edit(ValueEdit::temperature(p, t));
  else submit_composition();
}

void Controller::set_coefficient(const NodePath& p, double c) {
  Node* n = mutable_node(p);
  n->coefficient = c;
  if (n->kind == NodeKind::Not) submit_edit(ValueEdit::coefficient(p, c));
  else submit_composition();
}

void Controller::set_shared_prior(const NodePath& p, bool on) {
  Node* n = mutable_node(p);
  if (n->kind != NodeKind::And && n->kind != NodeKind::Not)
    throw std::invalid_argument("one prior applies to an and or a not node");
  n->shared_prior = on;
  submit_composition();
}

void Controller::set_composition(Node root, std::map<std::string, MaskImage> masks) {
  doc_ = std::move(root);
  masks_ = std::move(masks);
  submit_composition();
}

void Controller::clear_composition() {
  doc_ = Node::op(NodeKind::And, {});
  masks_.clear();
  submit_composition();
}

int Controller::image_size() const {
  for (const auto& p : term_paths())
    if (const ModelEntry* m = model(node(p)->model)) return m->info.image_size;
  for (const auto& m : models_)
    if (m.state == ModelEntry::State::Ready) return m.info.image_size;
  return 64;
}

const MaskImage* Controller::mask(const std::string& term) const {
  auto it = masks_.find(term);
  return it == masks_.end() ? nullptr : &it->second;
}

void Controller::paint_mask(const std::string& term, const std::vector<float>& points, const Brush& brush) {
  term_path(term);  // throws when there is no such term
  auto it = masks_.find(term);
  if (it == masks_.end()) {
    // A new mask starts empty when painting (paint where the term acts) and full when erasing
    // (erase where it must not act).
    const int s = image_size();
    it = masks_.emplace(term, MaskImage(s, s, brush.erase ? 1.f : 0.f)).first;
  }
  it->second.stroke(points, brush);
  submit_mask(term);
}

void Controller::mask_op(const std::string& term, MaskOp op) {
  term_path(term);
  if (op == MaskOp::Remove) {
    masks_.erase(term);
    submit_composition();
    return;
  }
  auto it = masks_.find(term);
  if (it == masks_.end()) {
    const int s = image_size();
    it = masks_.emplace(term, MaskImage(s, s, 1.f)).first;
  }
  switch (op) {
    case MaskOp::Clear: it->second.clear(); break;
    case MaskOp::Fill: it->second.fill(1.f); break;
    case MaskOp::Invert: it->second.invert(); break;
    case MaskOp::Remove: break;
  }
  submit_mask(term);
}

void Controller::submit_mask(const std::string& term) {
  // The stroked term's mask alone: the other terms' masks are not rebuilt. A term's first mask is a
  // change of structure the engine recompiles for by itself.
  submit_edit(ValueEdit::term_mask(term_path(term), mask_tensor(masks_.at(term))));
}

}  // namespace ebm::studio
