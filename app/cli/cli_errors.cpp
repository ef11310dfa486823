#include "app/cli/cli_errors.h"

#include <c10/util/Exception.h>

#include <iostream>

namespace ebm::cli {

namespace {

bool& verbose_flag() {
  static bool on = false;
  return on;
}

void report(const std::string& command, const std::string& message, int code) {
  std::cerr << "ebm " << command << ": error: " << message << "\n";
  set_exit_code(code);
}

}  // namespace

void set_verbose(bool on) { verbose_flag() = on; }
bool verbose() { return verbose_flag(); }

void run_command_body(const std::string& command, const std::function<int()>& body, ArgumentErrors argument_errors) {
  const int bad_value = argument_errors == ArgumentErrors::Usage ? 2 : 1;
  try {
    set_exit_code(body());
  } catch (const UsageError& e) {
    report(command, e.what(), 2);
  } catch (const c10::Error& e) {
    // c10 appends where it was raised and a backtrace: the message alone unless asked.
    report(command, verbose() ? e.what() : e.what_without_backtrace(), 1);
  } catch (const std::invalid_argument& e) {
    report(command, e.what(), bad_value);
  } catch (const std::exception& e) {
    report(command, e.what(), 1);
  }
}

}  // namespace ebm::cli
