// The recipe chunk of exported PNGs: read_png_recipe, what `ebm sample --recipe grid.png` and the
// studio's "open recipe" do with a PNG (libpng reads its text chunks, the iTXt "ebm-recipe", then the recipe
// parser). The parser takes a path, so the file goes through a scratch file; the input layout (raw
// file or file with recomputed chunk CRCs) is in png_fuzz_input.h. Accepted: the recipe must
// survive the writer round trip; rejected: only RecipeError (load_recipe turns PNG and file errors
// into it) may come out.
#include "engine/export/grid.h"
#include "fuzz/harnesses.h"
#include "fuzz/png_fuzz_input.h"
#include "fuzz/recipe_check.h"
#include "fuzz/scratch.h"
#include "models/checkpoint/atomic_file.h"

namespace ebm::fuzz {

void png_recipe_input(const std::uint8_t* data, std::size_t size) {
  const std::string png = decode_png_fuzz_input(std::string_view(reinterpret_cast<const char*>(data), size));
  const std::string path = write_scratch("recipe.png", png);
  std::vector<std::string> warnings;
  Recipe r;
  try {
    r = read_png_recipe(path, &warnings);
  } catch (const RecipeError&) {
    return;  // a clean rejection
  } catch (const FileError&) {
    return;
  }
  check_recipe_round_trip(r);
}

}  // namespace ebm::fuzz
