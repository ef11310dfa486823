#include "engine/energy/value_edit.h"

#include <stdexcept>

namespace ebm {

namespace {
ValueEdit make(NodePath p, ValueEdit::Field f) {
  ValueEdit e;
  e.path = std::move(p);
  e.field = f;
  return e;
}

void need_kind(const Node& n, const ValueEdit& e, bool ok, const char* owner) {
  if (ok) return;
  const std::string kind = to_string(n.kind);
  const char* article = (kind == "and" || kind == "or") ? "an " : "a ";
  throw std::invalid_argument(node_path_text(e.path) + "." + to_string(e.field) + ": " + article + kind +
                              " node has no " + to_string(e.field) + " (it belongs to " + owner + ")");
}

ValueEdit number_edit(NodePath p, ValueEdit::Field f, double v) {
  ValueEdit e = make(std::move(p), f);
  e.number = v;
  return e;
}
}  // namespace

ValueEdit ValueEdit::weight(NodePath p, double w) { return number_edit(std::move(p), Field::Weight, w); }

ValueEdit ValueEdit::temperature(NodePath p, double t) { return number_edit(std::move(p), Field::Temperature, t); }

ValueEdit ValueEdit::coefficient(NodePath p, double c) { return number_edit(std::move(p), Field::Coefficient, c); }

ValueEdit ValueEdit::guidance(NodePath p, double g) { return number_edit(std::move(p), Field::Guidance, g); }

ValueEdit ValueEdit::guidance_interval(NodePath p, const GuidanceInterval& iv) {
  ValueEdit e = make(std::move(p), Field::GuidanceInterval);
  e.interval = iv;
  return e;
}

ValueEdit ValueEdit::term_label(NodePath p, std::vector<float> label) {
  ValueEdit e = make(std::move(p), Field::Label);
  e.label = std::move(label);
  return e;
}

ValueEdit ValueEdit::term_mask(NodePath p, torch::Tensor mask) {
  ValueEdit e = make(std::move(p), Field::Mask);
  e.mask = std::move(mask);
  return e;
}

std::string to_string(ValueEdit::Field f) {
  switch (f) {
    case ValueEdit::Field::Weight: return "weight";
    case ValueEdit::Field::Temperature: return "temperature";
    case ValueEdit::Field::Coefficient: return "coefficient";
    case ValueEdit::Field::Guidance: return "guidance";
    case ValueEdit::Field::GuidanceInterval: return "guidance_interval";
    case ValueEdit::Field::Label: return "label";
    case ValueEdit::Field::Mask: return "mask";
  }
  return "?";
}

void apply_value_edit(Node& root, const ValueEdit& e) {
  Node& n = node_at(root, e.path);
  const std::string where = node_path_text(e.path) + "." + to_string(e.field);
  const bool term = n.kind == NodeKind::Term;
  switch (e.field) {
    case ValueEdit::Field::Weight:
      check_weight(e.number, where);
      n.weight = e.number;
      return;
    case ValueEdit::Field::Temperature:
      need_kind(n, e, n.kind == NodeKind::Or, "an or node");
      check_temperature(e.number, where);
      n.temperature = e.number;
      return;
    case ValueEdit::Field::Coefficient:
      need_kind(n, e, n.kind == NodeKind::Not, "a not node");
      check_coefficient(e.number, where);
      n.coefficient = e.number;
      return;
    case ValueEdit::Field::Guidance:
      need_kind(n, e, term, "a term");
      check_guidance(e.number, where);
      n.guidance = e.number;
      return;
    case ValueEdit::Field::GuidanceInterval:
      need_kind(n, e, term, "a term");
      check_guidance_interval(e.interval, where);
      n.guidance_interval = e.interval;
      return;
    case ValueEdit::Field::Label:
      need_kind(n, e, term, "a term");
      check_label(e.label, where);
      n.label = e.label;
      return;
    case ValueEdit::Field::Mask:
      need_kind(n, e, term, "a term");
      if (e.mask.defined()) check_mask(e.mask, where);
      n.mask = e.mask;
      return;
  }
}

}  // namespace ebm
