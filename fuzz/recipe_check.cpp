#include "fuzz/recipe_check.h"

#include <cstdio>
#include <cstdlib>

namespace ebm::fuzz {

namespace {

[[noreturn]] void invariant_broken(const std::string& what) {
  std::fprintf(stderr, "recipe round trip broken: %s\n", what.c_str());
  std::abort();
}

}  // namespace

void check_recipe_round_trip(const Recipe& r) {
  const std::string once = recipe_to_string(r);
  Recipe again;
  try {
    again = recipe_from_string(once, nullptr);
  } catch (const RecipeError& e) {
    invariant_broken(std::string("the written recipe does not read back: ") + e.what());
  }
  if (recipe_to_string(again) != once) invariant_broken("writing the re-read recipe gives different text");
}

}  // namespace ebm::fuzz
