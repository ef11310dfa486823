#include "app/studio/script_args.h"

#include <stdexcept>

namespace ebm::studio {

using nlohmann::json;

void bad_arg(const ScriptAction& a, const std::string& what) {
  throw std::invalid_argument("script " + a.where() + ": " + what);
}

void need(const ScriptAction& a, const char* key, json::value_t type_hint, const char* type_name) {
  if (!a.args.contains(key)) bad_arg(a, std::string("needs '") + key + "' (" + type_name + ")");
  const json& v = a.args.at(key);
  bool ok = false;
  switch (type_hint) {
    case json::value_t::number_float: ok = v.is_number(); break;
    case json::value_t::number_integer: ok = v.is_number_integer(); break;
    case json::value_t::string: ok = v.is_string() && !v.get<std::string>().empty(); break;
    case json::value_t::array: ok = v.is_array(); break;
    case json::value_t::boolean: ok = v.is_boolean(); break;
    default: ok = true;
  }
  if (!ok) bad_arg(a, std::string("'") + key + "' must be " + type_name);
}

void in_range(const ScriptAction& a, const char* key, double lo, double hi) {
  if (!a.args.contains(key)) return;
  if (!a.args.at(key).is_number()) bad_arg(a, std::string("'") + key + "' must be a number");
  const double v = a.args.at(key).get<double>();
  if (!(v >= lo && v <= hi))
    bad_arg(a, std::string("'") + key + "' = " + std::to_string(v) + " is outside [" + std::to_string(lo) + ", " +
                   std::to_string(hi) + "]");
}

void need_term(const ScriptAction& a) {
  if (!a.args.contains("term")) bad_arg(a, "needs 'term' (its index from 0 in depth-first order, or its name)");
  const json& t = a.args.at("term");
  if (!(t.is_number_integer() && t.get<int>() >= 0) && !(t.is_string() && !t.get<std::string>().empty()))
    bad_arg(a, "'term' must be a term index >= 0 or a term name");
}

void need_term_or_path(const ScriptAction& a) {
  if (a.args.contains("path")) {
    if (!a.args.at("path").is_array()) bad_arg(a, "'path' must be an array of child indices, e.g. [0, 1]");
    for (const auto& i : a.args.at("path"))
      if (!i.is_number_integer() || i.get<int>() < 0) bad_arg(a, "'path' must hold child indices >= 0");
    return;
  }
  need_term(a);
}

NodePath term_or_path(Controller& ctl, const json& a) {
  if (a.contains("path")) return a.at("path").get<NodePath>();
  const json& t = a.at("term");
  return t.is_string() ? ctl.term_path(t.get<std::string>()) : ctl.term_path(t.get<int>());
}

std::uint64_t last_event_seq(const Controller& ctl) {
  const auto& s = ctl.snapshot();
  return s && !s->events.empty() ? s->events.back().seq : 0;
}

std::string term_name(Controller& ctl, const json& a) { return ctl.node(term_or_path(ctl, a))->name; }

}  // namespace ebm::studio
