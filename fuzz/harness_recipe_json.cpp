// Recipe JSON: the parser behind `ebm sample --recipe R.json` and the studio's presets
// (recipe_from_string, which load_recipe calls for every non-PNG file). The input is the file's
// text. Accepted: the recipe must survive the writer round trip (recipe_check.h); rejected: only
// RecipeError may come out — a nlohmann or std exception escaping would reach the user as an
// unexplained failure.
#include "engine/recipe/recipe.h"
#include "fuzz/harnesses.h"
#include "fuzz/recipe_check.h"

#include <string_view>

namespace ebm::fuzz {

void recipe_json_input(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> warnings;
  Recipe r;
  try {
    r = recipe_from_string(text, &warnings);
  } catch (const RecipeError&) {
    return;  // a clean rejection
  }
  check_recipe_round_trip(r);
}

}  // namespace ebm::fuzz
