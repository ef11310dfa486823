#include "app/cli/commands.h"

#include <algorithm>
#include <utility>

namespace ebm::cli {

namespace {
// Function-local statics: registration runs during static initialisation of other files.
std::vector<std::pair<int, Registrar>>& registry() {
  static std::vector<std::pair<int, Registrar>> r;
  return r;
}
int& exit_code_ref() {
  static int code = 0;
  return code;
}
}  // namespace

bool add_command(int order, Registrar reg) {
  registry().emplace_back(order, std::move(reg));
  return true;
}

std::vector<Registrar> registered_commands() {
  auto r = registry();
  std::stable_sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Registrar> out;
  for (auto& p : r) out.push_back(p.second);
  return out;
}

void set_exit_code(int code) { exit_code_ref() = code; }
int exit_code() { return exit_code_ref(); }

}  // namespace ebm::cli
