// `ebm demo`: a quick end-to-end check of the install: builds a CubesNet and prints energies.
#include "app/cli/cli_errors.h"
#include "app/cli/commands.h"
#include "models/config.h"

#include <torch/torch.h>

#include <iostream>

namespace ebm::cli {

namespace {
void register_demo(CLI::App& app) {
  auto* sub = app.add_subcommand("demo", "Check the installation: run Torch and print a summary");
  sub->callback([] {
    run_command("demo", [] {
      auto t = torch::rand({2, 3});
      std::cout << "ebm demo: torch " << TORCH_VERSION << ", tensor sum " << t.sum().item<float>() << "\n";
    });
  });
}
}  // namespace

EBM_CLI_COMMAND(900, register_demo);

}  // namespace ebm::cli
