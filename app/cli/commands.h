// Subcommand registry of the `ebm` tool. Each subcommand lives in its own cmd_*.cpp file, which
// registers itself with a static EBM_CLI_COMMAND(...) line; the CLI is an OBJECT library, so every
// such file is linked and no central list needs editing when a subcommand is added.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace ebm::cli {

// A registrar adds one subcommand (options + callback) to the app. `order` sorts `ebm --help`.
using Registrar = std::function<void(CLI::App&)>;
bool add_command(int order, Registrar reg);
std::vector<Registrar> registered_commands();

// Subcommand callbacks report their exit code here (CLI11 callbacks return void):
// 0 success, 1 runtime error (bad file, I/O), 2 usage error.
void set_exit_code(int code);
int exit_code();

// The command line `ebm` was started with (argv), for commands that start copies of themselves
// (`--gpus N`, dist_flags.h).
const std::vector<std::string>& command_line();

}  // namespace ebm::cli

#define EBM_CLI_CONCAT2(a, b) a##b
#define EBM_CLI_CONCAT(a, b) EBM_CLI_CONCAT2(a, b)
// Registers `fn` (void(CLI::App&)) as a subcommand; `order` places it in the help listing.
#define EBM_CLI_COMMAND(order, fn) \
  static const bool EBM_CLI_CONCAT(ebm_cli_registered_, __LINE__) = ::ebm::cli::add_command(order, fn)
