// Scripts: parsing and checking (script.h). What each action does is its row of the table in
// script_ops.h; the runner is script_runner.cpp.
#include "app/studio/script.h"

#include "app/studio/app_paths.h"
#include "app/studio/script_args.h"
#include "app/studio/script_ops.h"

#include <stdexcept>

namespace ebm::studio {

using nlohmann::json;

namespace {

// Every action's arguments are checked by its row of the table before anything runs.
void validate(const ScriptAction& a) {
  if (const ScriptOp* op = find_script_op(a.op)) {
    op->validate(a);
    return;
  }
  std::string known;
  for (const auto& op : script_ops()) known += (known.empty() ? "" : ", ") + std::string(op.name);
  bad_arg(a, "unknown action; known actions: " + known);
}

}  // namespace

Script parse_script(const std::string& text, const std::filesystem::path& base_dir) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(std::string("script is not valid JSON: ") + e.what());
  }
  const json* list = &j;
  if (j.is_object()) {
    if (!j.contains("actions")) throw std::invalid_argument("script must be a JSON array of actions or an object with an \"actions\" array");
    list = &j.at("actions");
  }
  if (!list->is_array()) throw std::invalid_argument("the script's \"actions\" must be an array");
  if (list->size() > 100000) throw std::invalid_argument("script has more than 100000 actions");
  Script s;
  s.base_dir = base_dir;
  int i = 0;
  for (const auto& a : *list) {
    ScriptAction act;
    act.index = i++;
    if (!a.is_object() || !a.contains("do") || !a.at("do").is_string())
      throw std::invalid_argument("script action " + std::to_string(act.index) + " must be an object with a \"do\" string");
    act.op = a.at("do").get<std::string>();
    act.args = a;
    validate(act);
    s.actions.push_back(std::move(act));
  }
  return s;
}

Script load_script(const std::filesystem::path& file) {
  std::string text;
  try {
    text = read_file(file.string());
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("cannot read the script: ") + e.what());
  }
  auto dir = file.parent_path();
  return parse_script(text, dir.empty() ? std::filesystem::path(".") : dir);
}

}  // namespace ebm::studio
