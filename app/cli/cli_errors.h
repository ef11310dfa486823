// The error policy of the `ebm` boundary, one for every subcommand (README, "Exit codes"):
//   exit 0  success
//   exit 1  the input could not be used: a missing or corrupt file, a model that does not fit, I/O
//   exit 2  usage: bad flags or option values (a UsageError), a recipe value out of range, a
//           --device GPU that is not on this machine
// A failure prints one line on stderr, "ebm <command>: error: <what was wrong and what to do>"; the
// C++ backtrace that c10 errors carry is printed only with `ebm --verbose <command>`.
#pragma once

#include "app/cli/commands.h"

#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace ebm::cli {

// A flag, an option value or a combination of them that cannot work (exit 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How a command's std::invalid_argument reads. The engine throws it for any value it refuses. For
// commands whose inputs are values — options and recipes (sample, eval, train, render, bench) — that
// is a usage error (exit 2). For commands that read a file the user names (info, inspect, convert,
// score), a value the reader refuses comes from inside that file: the input could not be used
// (exit 1); their usage errors are UsageErrors.
enum class ArgumentErrors { Usage, Input };

// Runs a subcommand's body under the policy and sets the exit code.
void run_command_body(const std::string& command, const std::function<int()>& body, ArgumentErrors argument_errors);

// Runs a subcommand's body and sets the exit code: the body's when it returns one (the launcher of
// `--gpus N` worker processes returns theirs), 0 when it returns nothing, or the policy's for what
// it throws.
template <typename Body>
void run_command(const std::string& command, Body&& body, ArgumentErrors argument_errors = ArgumentErrors::Usage) {
  run_command_body(
      command,
      [&body]() -> int {
        if constexpr (std::is_void_v<decltype(body())>) {
          body();
          return 0;
        } else {
          return body();
        }
      },
      argument_errors);
}

// `ebm --verbose`: failures print c10's backtrace too.
void set_verbose(bool on);
bool verbose();

}  // namespace ebm::cli
