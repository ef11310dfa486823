// Error → exit-code policy shared by subcommands: a UsageError (bad flag combination, label that
// does not fit the schema) exits 2, any other failure (missing file, corrupt checkpoint) exits 1.
// Messages go to stderr prefixed with the subcommand, and never carry a C++ backtrace.
#pragma once

#include "app/cli/commands.h"

#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>

namespace ebm::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs a subcommand body, sets the exit code (0 when it returns normally) and prints errors.
template <typename Fn>
void run_guarded(const std::string& command, Fn&& body) {
  try {
    body();
    set_exit_code(0);
  } catch (const UsageError& e) {
    std::cerr << "ebm " << command << ": error: " << e.what() << "\n";
    set_exit_code(2);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    msg = msg.substr(0, msg.find("\nException raised from"));  // c10::Error appends a backtrace
    std::cerr << "ebm " << command << ": error: " << msg << "\n";
    set_exit_code(1);
  }
}

}  // namespace ebm::cli
