// `ebm`: the headless command-line tool. Thin: every subcommand lives in its own file under cli/.
#include "app/cli/cli.h"
#include "engine/gpu/cpu_threads.h"

int main(int argc, char** argv) {
  ebm::gpu::use_all_cores();  // LibTorch's CPU pool starts at one thread here (cpu_threads.h)
  return ebm::cli::run(argc, argv);
}
