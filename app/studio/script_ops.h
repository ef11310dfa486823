// The actions a studio script may use: one table, one row per action — its name, one line of help
// (docs and error messages list them), how its arguments are checked before anything runs, how it
// runs, and, for an action that takes time, how the runner knows it is done. The rows live beside
// what they drive (script_ops_*.cpp); script_ops.cpp puts them in one table.
#pragma once

#include "app/studio/script.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ebm::studio {

class Controller;

// What an action runs against — the studio and its controller — and the runner's state while the
// action waits (each waiting action sets what its poll reads).
struct ScriptContext {
  using Clock = std::chrono::steady_clock;
  ScriptContext(Studio& s, std::filesystem::path base) : studio(s), base_dir(std::move(base)) {}

  Studio& studio;
  std::filesystem::path base_dir;  // inputs resolve against it; outputs against the studio's output dir
  Controller& controller();
  std::filesystem::path output_path(const std::string& p) const;
  std::filesystem::path input_path(const std::string& p) const;

  std::uint64_t wait_frames_until = 0;
  Clock::time_point wait_time_until;
  std::int64_t wait_step_target = 0;
  std::uint64_t wait_seq = 0;
  std::uint64_t start_event_seq = 0;  // the last event before the latest start/restart (its errors come after)
  std::optional<Clock::time_point> start_error_seen;  // when `wait until running` first saw such an error
  std::string wait_kind;
  std::vector<std::string> written;  // files the script wrote (the report lists them)
  bool quit = false;                 // the script asked to end (the `quit` action)
};

struct ScriptOp {
  const char* name;
  const char* help;  // "args: what it does"
  // Throws std::invalid_argument naming the action (bad_arg) for a missing or mistyped argument.
  void (*validate)(const ScriptAction&);
  // Starts the action: true when it is done at once, false when the runner must poll.
  bool (*run)(ScriptContext&, const ScriptAction&);
  // Whether a waiting action is done (nullptr: the action never waits). May throw: the script fails.
  bool (*poll)(ScriptContext&, const ScriptAction&);
};

// Every action, in the order the docs list them.
const std::vector<ScriptOp>& script_ops();
const ScriptOp* find_script_op(const std::string& name);  // nullptr: no such action

// The rows, by what they drive (script_ops_composition.cpp, script_ops_run.cpp, script_ops_files.cpp,
// script_ops_reading.cpp).
std::vector<ScriptOp> composition_script_ops();
std::vector<ScriptOp> run_script_ops();
std::vector<ScriptOp> file_script_ops();
std::vector<ScriptOp> reading_script_ops();

}  // namespace ebm::studio
