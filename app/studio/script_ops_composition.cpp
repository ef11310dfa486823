// Script actions that load models and edit the composition and its masks.
#include "app/studio/script_args.h"
#include "app/studio/script_ops.h"
#include "app/studio/studio.h"

#include <stdexcept>

namespace ebm::studio {

namespace {

using nlohmann::json;

bool run_load_model(ScriptContext& c, const ScriptAction& a) {
  c.wait_kind = c.controller().open_model(c.input_path(a.args.at("path").get<std::string>()).string(),
                                          a.args.value("name", std::string()));
  return false;
}

bool poll_load_model(ScriptContext& c, const ScriptAction&) {
  const ModelEntry* m = c.controller().model(c.wait_kind);
  if (m == nullptr) throw std::runtime_error("the model disappeared while loading");
  if (m->state == ModelEntry::State::Loading) return false;
  if (m->state == ModelEntry::State::Failed) throw std::runtime_error("cannot load " + m->path + ": " + m->error);
  return true;
}

void validate_add_term(const ScriptAction& a) {
  need(a, "model", json::value_t::string, "a model name");
  if (a.args.contains("label")) {
    if (!a.args.at("label").is_array()) bad_arg(a, "'label' must be an array of numbers");
    for (const auto& v : a.args.at("label"))
      if (!v.is_number()) bad_arg(a, "'label' must hold numbers only");
  }
  in_range(a, "weight", -1e6, 1e6);
}

bool run_add_term(ScriptContext& c, const ScriptAction& a) {
  const json& j = a.args;
  std::optional<std::vector<float>> label;
  if (j.contains("label")) label = j.at("label").get<std::vector<float>>();
  c.controller().add_term(j.value("parent", NodePath{}), j.at("model").get<std::string>(), label, j.value("weight", 1.0));
  return true;
}

void validate_add_operator(const ScriptAction& a) {
  need(a, "kind", json::value_t::string, "\"and\", \"or\" or \"not\"");
  const auto k = a.args.at("kind").get<std::string>();
  if (k != "and" && k != "or" && k != "not") bad_arg(a, "'kind' must be \"and\", \"or\" or \"not\", got \"" + k + "\"");
}

bool run_add_operator(ScriptContext& c, const ScriptAction& a) {
  c.controller().add_operator(a.args.value("parent", NodePath{}), node_kind_from_string(a.args.at("kind").get<std::string>()));
  return true;
}

bool run_remove(ScriptContext& c, const ScriptAction& a) {
  c.controller().remove_node(term_or_path(c.controller(), a.args));
  return true;
}

void validate_set_label(const ScriptAction& a) {
  need_term(a);
  if (a.args.contains("label")) {
    need(a, "label", json::value_t::array, "an array of numbers");
  } else {
    if (!a.args.contains("slot") || !(a.args.at("slot").is_number_integer() || a.args.at("slot").is_string()))
      bad_arg(a, "needs 'label' (array) or 'slot' (index or name) and 'value'");
    need(a, "value", json::value_t::number_float, "a number");
  }
}

bool run_set_label(ScriptContext& c, const ScriptAction& a) {
  Controller& ctl = c.controller();
  const json& j = a.args;
  const NodePath p = term_or_path(ctl, j);
  if (j.contains("label")) {
    ctl.set_label(p, j.at("label").get<std::vector<float>>());
    return true;
  }
  int slot = -1;
  if (j.at("slot").is_number_integer()) {
    slot = j.at("slot").get<int>();
  } else {
    const ModelEntry* m = ctl.model(ctl.node(p)->model);
    const auto name = j.at("slot").get<std::string>();
    if (m)
      for (int i = 0; i < m->schema.size(); ++i)
        if (m->schema.slots[static_cast<size_t>(i)].name == name) slot = i;
    if (slot < 0) throw std::invalid_argument("the term's model has no label slot named '" + name + "'");
  }
  ctl.set_label_slot(p, slot, j.at("value").get<float>());
  return true;
}

void validate_set_weight(const ScriptAction& a) {
  need_term_or_path(a);
  need(a, "weight", json::value_t::number_float, "a number");
}

bool run_set_weight(ScriptContext& c, const ScriptAction& a) {
  c.controller().set_weight(term_or_path(c.controller(), a.args), a.args.at("weight").get<double>());
  return true;
}

void validate_set_guidance(const ScriptAction& a) {
  need_term_or_path(a);
  if (!a.args.contains("guidance")) bad_arg(a, "needs 'guidance' (a number in [0, 100])");
  in_range(a, "guidance", 0, kMaxGuidance);
}

bool run_set_guidance(ScriptContext& c, const ScriptAction& a) {
  c.controller().set_guidance(term_or_path(c.controller(), a.args), a.args.at("guidance").get<double>());
  return true;
}

void validate_set_guidance_interval(const ScriptAction& a) {
  need_term_or_path(a);
  if (!a.args.contains("interval")) bad_arg(a, "needs 'interval' ([lo, hi], hi null for no upper end)");
  try {
    guidance_interval_from_json(a.args.at("interval"));
  } catch (const std::invalid_argument& e) {
    bad_arg(a, std::string("'interval' ") + e.what());
  }
}

bool run_set_guidance_interval(ScriptContext& c, const ScriptAction& a) {
  c.controller().set_guidance_interval(term_or_path(c.controller(), a.args),
                                       guidance_interval_from_json(a.args.at("interval")));
  return true;
}

void validate_set_enabled(const ScriptAction& a) {
  need_term_or_path(a);
  need(a, "enabled", json::value_t::boolean, "true or false");
}

bool run_set_enabled(ScriptContext& c, const ScriptAction& a) {
  c.controller().set_enabled(term_or_path(c.controller(), a.args), a.args.at("enabled").get<bool>());
  return true;
}

void validate_set_solo(const ScriptAction& a) {
  need_term(a);
  need(a, "solo", json::value_t::boolean, "true or false");
}

bool run_set_solo(ScriptContext& c, const ScriptAction& a) {
  c.controller().set_solo(term_or_path(c.controller(), a.args), a.args.at("solo").get<bool>());
  return true;
}

void validate_set_any_label(const ScriptAction& a) {
  need_term(a);
  need(a, "any", json::value_t::boolean, "true or false");
}

bool run_set_any_label(ScriptContext& c, const ScriptAction& a) {
  c.controller().set_any_label(term_or_path(c.controller(), a.args), a.args.at("any").get<bool>());
  return true;
}

void validate_set_operator(const ScriptAction& a) {
  need_term_or_path(a);
  in_range(a, "temperature", 1e-6, 1e9);
  in_range(a, "coefficient", -1e9, 1e9);
  if (a.args.contains("prior") &&
      !(a.args.at("prior").is_string() && (a.args.at("prior") == "each" || a.args.at("prior") == "shared")))
    bad_arg(a, "'prior' must be \"each\" or \"shared\"");
}

bool run_set_operator(ScriptContext& c, const ScriptAction& a) {
  Controller& ctl = c.controller();
  const json& j = a.args;
  const NodePath p = term_or_path(ctl, j);
  if (j.contains("temperature")) ctl.set_temperature(p, j.at("temperature").get<double>());
  if (j.contains("coefficient")) ctl.set_coefficient(p, j.at("coefficient").get<double>());
  if (j.contains("prior")) ctl.set_shared_prior(p, j.at("prior") == "shared");
  return true;
}

void validate_paint_mask(const ScriptAction& a) {
  need_term(a);
  need(a, "points", json::value_t::array, "an array of [x, y] pairs in 0..1");
  if (a.args.at("points").empty()) bad_arg(a, "'points' is empty");
  for (const auto& p : a.args.at("points"))
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
      bad_arg(a, "every point must be [x, y] with numbers in 0..1 (image units)");
  in_range(a, "radius", 0.5, 1024);
  in_range(a, "hardness", 0, 1);
  in_range(a, "opacity", 0, 1);
}

bool run_paint_mask(ScriptContext& c, const ScriptAction& a) {
  Controller& ctl = c.controller();
  const json& j = a.args;
  Brush b;
  b.radius = j.value("radius", 6.0f);
  b.hardness = j.value("hardness", 0.7f);
  b.opacity = j.value("opacity", 1.0f);
  b.erase = j.value("erase", false);
  const float size = static_cast<float>(ctl.image_size());
  std::vector<float> pts;
  for (const auto& p : j.at("points")) {
    pts.push_back(p[0].get<float>() * size);
    pts.push_back(p[1].get<float>() * size);
  }
  ctl.paint_mask(term_name(ctl, j), pts, b);
  c.studio.ui().masks.term = term_name(ctl, j);
  return true;
}

void validate_mask(const ScriptAction& a) {
  need_term(a);
  need(a, "op", json::value_t::string, "clear, fill, invert or remove");
  const auto m = a.args.at("op").get<std::string>();
  if (m != "clear" && m != "fill" && m != "invert" && m != "remove") bad_arg(a, "'op' must be clear, fill, invert or remove");
}

bool run_mask(ScriptContext& c, const ScriptAction& a) {
  const auto m = a.args.at("op").get<std::string>();
  const MaskOp op = m == "clear" ? MaskOp::Clear : m == "fill" ? MaskOp::Fill : m == "invert" ? MaskOp::Invert : MaskOp::Remove;
  c.controller().mask_op(term_name(c.controller(), a.args), op);
  return true;
}

}  // namespace

std::vector<ScriptOp> composition_script_ops() {
  return {
      {"load_model", "path [, name]: load a model file (waits until it is loaded)", need_path, run_load_model,
       poll_load_model},
      {"add_term", "model [, label, weight, parent]: add a term under the root (or the operator at `parent`)",
       validate_add_term, run_add_term, nullptr},
      {"add_operator", "kind (and|or|not) [, parent]: add an operator node", validate_add_operator, run_add_operator, nullptr},
      {"remove", "term | path: remove a term or node", need_term_or_path, run_remove, nullptr},
      {"set_label", "term, label | term, slot, value: set a term's label or one slot", validate_set_label, run_set_label,
       nullptr},
      {"set_weight", "term | path, weight", validate_set_weight, run_set_weight, nullptr},
      {"set_guidance", "term | path, guidance", validate_set_guidance, run_set_guidance, nullptr},
      {"set_guidance_interval",
       "term | path, interval [lo, hi] (σ; hi null: no upper end): where the guidance applies",
       validate_set_guidance_interval, run_set_guidance_interval, nullptr},
      {"set_enabled", "term | path, enabled", validate_set_enabled, run_set_enabled, nullptr},
      {"set_solo", "term, solo", validate_set_solo, run_set_solo, nullptr},
      {"set_any_label", "term, any", validate_set_any_label, run_set_any_label, nullptr},
      {"set_operator",
       "path [, temperature] [, coefficient] [, prior]: Or temperature, Not coefficient, And/Not prior (each|shared)",
       validate_set_operator, run_set_operator, nullptr},
      {"paint_mask", "term, points [[x,y]…] in 0..1 image units [, radius px, hardness, opacity, erase]",
       validate_paint_mask, run_paint_mask, nullptr},
      {"mask", "term, op (clear|fill|invert|remove)", validate_mask, run_mask, nullptr},
  };
}

}  // namespace ebm::studio
