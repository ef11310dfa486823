#include "app/cli/cli.h"

#include "app/cli/cli_errors.h"
#include "app/cli/commands.h"
#include "engine/recipe/version.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <exception>
#include <iostream>

namespace ebm::cli {

namespace {
std::vector<std::string> g_command_line;
}

const std::vector<std::string>& command_line() { return g_command_line; }

int run(int argc, char** argv) {
  g_command_line.assign(argv, argv + argc);
  CLI::App app{"ebm: compositional generation with energy-based models (headless tool of ebm-studio)"};
  app.set_version_flag("--version", std::string("ebm ") + ebm::version());
  app.require_subcommand(1);
  // Before the subcommand: `ebm --verbose sample …` (a subcommand's own -v means what it says there).
  app.add_flag_callback("--verbose", [] { set_verbose(true); },
                        "on a failure, print the C++ backtrace of the error too (cli_errors.h)");
  for (const auto& reg : registered_commands()) reg(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::cerr << "ebm: error: " << e.what() << "\n";
    return 1;
  }
  // Subcommand callbacks ran inside parse(); they reported their exit code.
  return exit_code();
}

}  // namespace ebm::cli
