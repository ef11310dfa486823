// `ebm`: the headless command-line tool. Thin: every subcommand lives in its own file under cli/.
#include "app/cli/cli.h"

int main(int argc, char** argv) { return ebm::cli::run(argc, argv); }
