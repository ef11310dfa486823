// Entry of the `ebm` command-line tool; subcommands register themselves in cli.cpp.
#pragma once
namespace ebm::cli {
// Parses argv, runs the chosen subcommand, returns the process exit code (0 ok, 1 runtime error,
// 2 usage error). Never throws.
int run(int argc, char** argv);
}  // namespace ebm::cli
