// Regressions of the recipe readers found by fuzz/harness_recipe_json and fuzz/harness_png_recipe.
// Each input once escaped the reader's contract (an exception other than RecipeError) or leaked
// memory; each must now give a RecipeError that says what is wrong, and real recipes must still
// read. The leak itself is caught by LeakSanitizer when this runs in the ASan build
// (scripts/ci-sanitize.sh); here the error is checked.
#include "engine/export/grid.h"
#include "engine/image/png_codec.h"
#include "engine/recipe/recipe.h"
#include "fuzz/png_fuzz_input.h"
#include "models/checkpoint/atomic_file.h"
#include "tests/checkpoint/test_util.h"
#include "tests/reliability/memory_limit.h"
#include "tests/support/file_bytes.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace ebm;

namespace {

const fs::path kFuzz = fs::path(EBM_SOURCE_DIR) / "fuzz";

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
  const std::string found = ebm::test::file_bytes(kFuzz / "regressions/recipe_json/crash-number-overflow-out-of-range");
  ASSERT_FALSE(found.empty());
  std::string msg = recipe_error_of([&] { recipe_from_string(found, nullptr); });
  EXPECT_NE(msg.find("recipe is not valid JSON"), std::string::npos) << msg;
  EXPECT_NE(msg.find("number overflow"), std::string::npos) << msg;
  msg = recipe_error_of([] { recipe_from_string(R"({"format": "ebm-recipe", "version": 1, "seed": 1E400})", nullptr); });
  EXPECT_NE(msg.find("number overflow"), std::string::npos) << msg;
}

TEST(RecipeRegression, DamagedPngIsAnErrorWithoutLeak) {
  // A PNG whose image data is damaged: libpng longjmps out of png_read_image, and png_decode leaked
  // its row array on every such file (a non-volatile local read after longjmp; found through
  // read_png_recipe, which now reads text chunks without that array, so png_decode is checked
  // directly). The leak itself is caught by LeakSanitizer in the ASan build.
  PngImage img;
  img.width = img.height = 8;
  img.channels = 3;
  img.pixels.assign(8 * 8 * 3, 0);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i * 37);
  std::string png = png_encode(img);
  const std::size_t idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  for (std::size_t i = idat + 8; i < idat + 14; ++i) png[i] = static_cast<char>(png[i] ^ 0x5a);  // inside the deflate stream
  fuzz::fix_png_crcs(&png);
  std::string msg;
  try {
    png_decode(png);
  } catch (const PngError& e) {
    msg = e.what();
  }
  EXPECT_NE(msg.find("cannot decode PNG"), std::string::npos) << msg;
  // The fuzzer's reproducer, through the recipe reader: a clear RecipeError.
  ebm::test::TempDir d;
  write_file_atomic(d.file("damaged.png"),
                    fuzz::decode_png_fuzz_input(ebm::test::file_bytes(kFuzz / "regressions/png_recipe/leak-row-array-after-longjmp")));
  msg = recipe_error_of([&] { read_png_recipe(d.file("damaged.png"), nullptr); });
  EXPECT_NE(msg.find("damaged.png: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated or damaged"), std::string::npos) << msg;
}

TEST(RecipeRegression, ChunkLongerThanTheFileRefusedBeforeAllocation) {
  // A 900-byte recipe PNG whose chunk declares ~512 MiB: libpng allocated a buffer of the declared
  // length before reading it (the fuzzer's RSS grew to 2.5 GB, 86 executions/s). Every chunk length
  // is now checked against the file first, under an address-space cap here.
  ebm::test::TempDir d;
  write_file_atomic(d.file("long-chunk.png"),
                    fuzz::decode_png_fuzz_input(ebm::test::file_bytes(kFuzz / "regressions/png_recipe/oom-chunk-length-512mib")));
  const std::string msg = ebm::test::error_under_memory_cap([&] { read_png_recipe(d.file("long-chunk.png"), nullptr); });
  EXPECT_NE(msg.find("bytes but only"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated or damaged"), std::string::npos) << msg;
}

TEST(RecipeRegression, SeedRecipesStillRead) {
  // The committed seeds are recipes and PNGs as ebm writes them: they must keep reading, from text
  // and from an exported PNG.
  ebm::test::TempDir d;
  int json = 0, png = 0;
  for (const auto& e : fs::directory_iterator(kFuzz / "corpus/recipe_json")) {
    SCOPED_TRACE(e.path().string());
    EXPECT_NO_THROW(recipe_from_string(ebm::test::file_bytes(e.path()), nullptr));
    ++json;
  }
  for (const auto& e : fs::directory_iterator(kFuzz / "corpus/png_recipe")) {
    if (e.path().filename() == "no_recipe.png.in") continue;
    SCOPED_TRACE(e.path().string());
    write_file_atomic(d.file("r.png"), fuzz::decode_png_fuzz_input(ebm::test::file_bytes(e.path())));
    EXPECT_NO_THROW(read_png_recipe(d.file("r.png"), nullptr));
    ++png;
  }
  EXPECT_GE(json, 3);
  EXPECT_GE(png, 2);
}

}  // namespace
