// Scripted mode (`ebm-studio --script FILE.json`): a list of UI actions run one after another, each
// through the same Controller/Studio functions the widgets and shortcuts call, while the frame loop
// keeps drawing. For tests, demos and reproducible screenshots. Format: docs/studio.md.
//
//   {"actions": [
//     {"do": "add_term", "model": "position", "label": [0.3, -0.2], "weight": 1},
//     {"do": "run_steps", "steps": 20},
//     {"do": "screenshot", "path": "shot.png"},
//     {"do": "quit"}]}
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ebm::studio {

class Studio;
struct ScriptContext;

struct ScriptAction {
  std::string op;        // "add_term", "set_label", …
  nlohmann::json args;   // the action object itself
  int index = 0;         // position in the script (for messages: "action 3 (set_weight)")
  std::string where() const { return "action " + std::to_string(index) + " (" + op + ")"; }
};

struct Script {
  std::vector<ScriptAction> actions;
  std::filesystem::path base_dir;  // relative output paths resolve against the output dir, inputs against this
};

// Parses and validates every action before anything runs (each through its row of the table of
// actions, script_ops.h): unknown ops, missing or mistyped fields and out-of-range numbers are errors
// naming the action. Throws std::invalid_argument.
Script parse_script(const std::string& json_text, const std::filesystem::path& base_dir);
Script load_script(const std::filesystem::path& file);  // + "cannot read" errors

class ScriptRunner {
 public:
  ScriptRunner(Script script, Studio& studio);
  ~ScriptRunner();
  // One frame's worth: starts the next action or checks whether the waiting one finished.
  void tick();
  bool finished() const { return finished_; }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // JSON summary for tests: frames drawn, frames while the worker sampled, actions done, files written.
  nlohmann::json report() const;

 private:
  void fail(const std::string& message);

  Script script_;
  Studio& studio_;
  std::unique_ptr<ScriptContext> context_;  // what the actions run against, and their wait state
  size_t next_ = 0;
  bool waiting_ = false;
  bool finished_ = false;
  std::string error_;
  std::chrono::steady_clock::time_point started_, deadline_;
  std::vector<double> done_at_;  // seconds from started_ to each finished action's end
  std::int64_t max_step_seen_ = 0;
  std::uint64_t frames_at_start_ = 0;
};

}  // namespace ebm::studio
