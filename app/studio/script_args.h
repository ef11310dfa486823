// Reading a script action's arguments: the checks run by parse_script (before anything runs; each
// throws std::invalid_argument naming the action and the argument) and the lookups run as it runs.
#pragma once

#include "app/studio/controller.h"
#include "app/studio/script.h"

#include <nlohmann/json.hpp>

#include <string>

namespace ebm::studio {

[[noreturn]] void bad_arg(const ScriptAction& a, const std::string& what);
// `key` present with the JSON type `type` (number_float: any number; string: non-empty).
void need(const ScriptAction& a, const char* key, nlohmann::json::value_t type, const char* type_name);
// `key`, when given, is a number in [lo, hi].
void in_range(const ScriptAction& a, const char* key, double lo, double hi);
// `term`: an index >= 0 or a name.
void need_term(const ScriptAction& a);
// `path` (child indices) or `term`.
void need_term_or_path(const ScriptAction& a);
// An optional string argument that `parse` must accept: its std::invalid_argument becomes this
// action's error, so a script fails before it runs rather than halfway.
template <typename Parse>
void parsed_if_given(const ScriptAction& a, const char* key, const char* type_name, Parse parse) {
  if (!a.args.contains(key)) return;
  need(a, key, nlohmann::json::value_t::string, type_name);
  try {
    (void)parse(a.args.at(key).get<std::string>());
  } catch (const std::invalid_argument& e) {
    bad_arg(a, e.what());
  }
}
// `path`: a non-empty string (a file to read or write).
inline void need_path(const ScriptAction& a) { need(a, "path", nlohmann::json::value_t::string, "a non-empty string"); }
// The seq of the newest event the controller's snapshot holds (0: none).
std::uint64_t last_event_seq(const Controller& ctl);
// For actions without arguments.
inline void no_args(const ScriptAction&) {}

// The node an action names by `path` or `term` (index or name); throws when there is none.
NodePath term_or_path(Controller& ctl, const nlohmann::json& args);
std::string term_name(Controller& ctl, const nlohmann::json& args);

}  // namespace ebm::studio
