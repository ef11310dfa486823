// The table of script actions (script_ops.h): the rows of script_ops_*.cpp in the order the docs
// list them, and what every action runs against.
#include "app/studio/script_ops.h"

#include "app/studio/studio.h"

namespace ebm::studio {

Controller& ScriptContext::controller() { return studio.controller(); }

std::filesystem::path ScriptContext::output_path(const std::string& p) const {
  std::filesystem::path path(p);
  return path.is_absolute() ? path : studio.output_dir() / path;
}

std::filesystem::path ScriptContext::input_path(const std::string& p) const {
  std::filesystem::path path(p);
  return path.is_absolute() ? path : base_dir / path;
}

const std::vector<ScriptOp>& script_ops() {
  static const std::vector<ScriptOp> kOps = [] {
    std::vector<ScriptOp> all = composition_script_ops();
    for (auto rows : {run_script_ops(), file_script_ops(), reading_script_ops()}) all.insert(all.end(), rows.begin(), rows.end());
    return all;
  }();
  return kOps;
}

const ScriptOp* find_script_op(const std::string& name) {
  for (const auto& op : script_ops())
    if (name == op.name) return &op;
  return nullptr;
}

}  // namespace ebm::studio
