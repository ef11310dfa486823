// Regressions of the recipe readers found by fuzz/harness_recipe_json and fuzz/harness_png_recipe.
// Each input once escaped the reader's contract (an exception other than RecipeError) or leaked
// memory; each must now give a RecipeError that says what is wrong, and real recipes must still
// read. The leak itself is caught by LeakSanitizer when this runs in the ASan build
// (scripts/ci-sanitize.sh); here the error is checked.
#include "engine/export/grid.h"
#include "engine/recipe.h"
#include "fuzz/png_fuzz_input.h"
#include "models/checkpoint/atomic_file.h"
#include "tests/checkpoint/test_util.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace ebm;

namespace {

const fs::path kFuzz = fs::path(EBM_SOURCE_DIR) / "fuzz";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

template <typename F>
std::string recipe_error_of(F&& f) {
  try {
    f();
  } catch (const RecipeError& e) {
    return e.what();
  }
  return "";
}

TEST(RecipeRegression, NumberBeyondADoubleIsARecipeError) {
  // nlohmann::json throws out_of_range (not parse_error) for a number like 1E400; it escaped
  // recipe_from_string and reached `ebm sample` / the studio as an unexplained exception.
  const std::string found = slurp(kFuzz / "regressions/recipe_json/crash-number-overflow-out-of-range");
  ASSERT_FALSE(found.empty());
  std::string msg = recipe_error_of([&] { recipe_from_string(found, nullptr); });
  EXPECT_NE(msg.find("recipe is not valid JSON"), std::string::npos) << msg;
  EXPECT_NE(msg.find("number overflow"), std::string::npos) << msg;
  msg = recipe_error_of([] { recipe_from_string(R"({"format": "ebm-recipe", "version": 1, "seed": 1E400})", nullptr); });
  EXPECT_NE(msg.find("number overflow"), std::string::npos) << msg;
}

TEST(RecipeRegression, DamagedExportedPngIsARecipeErrorWithoutLeak) {
  // A PNG whose image data is damaged: libpng longjmps out of png_read_image; the row array was
  // leaked on every such file (a non-volatile local read after longjmp).
  ebm::test::TempDir d;
  const std::string png = fuzz::decode_png_fuzz_input(slurp(kFuzz / "regressions/png_recipe/leak-row-array-after-longjmp"));
  write_file_atomic(d.file("damaged.png"), png);
  const std::string msg = recipe_error_of([&] { read_png_recipe(d.file("damaged.png"), nullptr); });
  EXPECT_NE(msg.find("damaged.png: cannot decode PNG"), std::string::npos) << msg;
}

TEST(RecipeRegression, SeedRecipesStillRead) {
  // The committed seeds are recipes and PNGs as ebm writes them: they must keep reading, from text
  // and from an exported PNG.
  ebm::test::TempDir d;
  int json = 0, png = 0;
  for (const auto& e : fs::directory_iterator(kFuzz / "corpus/recipe_json")) {
    SCOPED_TRACE(e.path().string());
    EXPECT_NO_THROW(recipe_from_string(slurp(e.path()), nullptr));
    ++json;
  }
  for (const auto& e : fs::directory_iterator(kFuzz / "corpus/png_recipe")) {
    if (e.path().filename() == "no_recipe.png.in") continue;
    SCOPED_TRACE(e.path().string());
    write_file_atomic(d.file("r.png"), fuzz::decode_png_fuzz_input(slurp(e.path())));
    EXPECT_NO_THROW(read_png_recipe(d.file("r.png"), nullptr));
    ++png;
  }
  EXPECT_GE(json, 3);
  EXPECT_GE(png, 2);
}

}  // namespace
