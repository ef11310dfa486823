#include "engine/export/grid.h"
#include "engine/image/png_codec.h"
#include "engine/session.h"
#include "test_energies.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ebm {
namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() / ("ebm_export_test_" + std::to_string(::getpid()) + "_" +
                                                     std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& f) const { return (path / f).string(); }
};

Recipe tiny_recipe() {
  Recipe r;
  r.models = {{"q", "q.safetensors", ""}};
  r.composition = Node::term("t", "q", {0.5f, 0.5f, 0.5f});
  r.sampler.batch = 4;
  return r;
}

TEST(Png, RoundTripWithTextChunks) {
  PngImage img;
  img.width = 5;
  img.height = 3;
  img.channels = 3;
  for (int i = 0; i < 45; ++i) img.pixels.push_back(static_cast<std::uint8_t>(i * 5));
  const std::string big(5000, 'x');  // compressed iTXt
  img.text = {{"short", "héllo"}, {"big", big}};
  const PngImage back = png_decode(png_encode(img));
  EXPECT_EQ(back.width, 5);
  EXPECT_EQ(back.height, 3);
  EXPECT_EQ(back.channels, 3);
  EXPECT_EQ(back.pixels, img.pixels);
  EXPECT_EQ(png_text_value(back, "short"), "héllo");
  EXPECT_EQ(png_text_value(back, "big"), big);
  EXPECT_EQ(png_text_value(back, "absent"), "");
}

TEST(Png, CorruptAndOversizedInputsAreErrors) {
  EXPECT_THROW(png_decode("definitely not a png"), PngError);
  PngImage img;
  img.width = img.height = 64;
  img.channels = 1;
  img.pixels.assign(64 * 64, 7);
  std::string bytes = png_encode(img);
  EXPECT_THROW(png_decode(bytes.substr(0, bytes.size() / 2)), PngError);
  EXPECT_THROW(png_decode(bytes, /*max_side=*/32), PngError);
  img.pixels.pop_back();
  EXPECT_THROW(png_encode(img), PngError);
}

TEST(Grid, LayoutAndLabels) {
  auto images = torch::zeros({5, 3, 8, 8});
  images[0].fill_(1.0);
  GridOptions o;
  o.columns = 3;
  o.padding = 1;
  PngImage g = make_grid(images, o);
  EXPECT_EQ(g.width, 1 + 3 * 9);
  EXPECT_EQ(g.height, 1 + 2 * 9);
  EXPECT_EQ(g.pixels[(1 * g.width + 1) * 3], 255);      // tile 0 is white
  EXPECT_EQ(g.pixels[(1 * g.width + 10) * 3], 0);       // tile 1 is black
  EXPECT_EQ(g.pixels[(10 * g.width + 19) * 3], 255);    // no tile 5: background
  o.row_labels = {"A", "B"};
  o.column_labels = {"x=0", "x=1", "x=2"};
  PngImage l = make_grid(images, o);
  EXPECT_GT(l.width, g.width);
  EXPECT_GT(l.height, g.height);
  o.row_labels = {"1", "2", "3"};
  EXPECT_THROW(make_grid(images, o), std::invalid_argument);
  EXPECT_THROW(make_grid(torch::zeros({2, 2, 8, 8})), std::invalid_argument);
}

TEST(Grid, ExportedPngCarriesItsRecipe) {
  TempDir dir;
  const Recipe r = tiny_recipe();
  write_grid_png(dir / "grid.png", torch::rand({4, 3, 8, 8}), {}, &r);
  std::vector<std::string> warnings;
  const Recipe back = read_png_recipe(dir / "grid.png", &warnings);
  EXPECT_EQ(recipe_to_string(back), recipe_to_string(r));
  auto files = write_sample_pngs(dir / "s.png", torch::rand({2, 3, 8, 8}), {7, 3}, &r);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], dir / "s_7.png");
  const Recipe one = read_png_recipe(files[1], nullptr);
  EXPECT_EQ(one.sampler.batch, 1);
  EXPECT_EQ(one.sampler.sample_ids, (std::vector<std::int64_t>{3}));
  auto seq = write_sequence_pngs(dir / "seq", {{0, torch::rand({2, 3, 8, 8})}, {12, torch::rand({2, 3, 8, 8})}}, {}, &r);
  EXPECT_EQ(seq[1], dir / "seq_000012.png");
  EXPECT_EQ(read_png_recipe(seq[1], nullptr).sampler.steps, 12);
  // A PNG without a recipe says so.
  write_grid_png(dir / "plain.png", torch::rand({1, 3, 8, 8}), {}, nullptr);
  EXPECT_THROW(read_png_recipe(dir / "plain.png", nullptr), RecipeError);
  // No temporary files are left behind.
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    EXPECT_EQ(e.path().extension(), ".png") << e.path();
}

TEST(Grid, SessionExportWritesGridAndRecipe) {
  TempDir dir;
  Session s;
  s.submit(cmd::AddModel{"q", test::quadratic()});
  s.submit(cmd::SetComposition{Node::term("t", "q", {0.5f, 0.5f, 0.5f})});
  SamplerParams p;
  p.batch = 4;
  p.steps = 5;
  p.seed = 77;
  s.submit(cmd::SetSampler{p});
  s.submit(cmd::Start{});
  s.submit(cmd::Export{{ExportRequest::Kind::Grid, dir / "g.png", {}}});
  s.submit(cmd::Export{{ExportRequest::Kind::Sequence, dir / "seq", {}}});
  auto snap = s.latest();
  for (int i = 0; i < 500; ++i) {
    int exported = 0;
    for (const auto& e : snap->events) exported += e.kind == Event::Kind::Exported;
    if (exported == 2 && snap->status == SessionStatus::Finished) break;
    snap = s.wait_for_newer(snap->seq, 20);
  }
  const Recipe r = read_png_recipe(dir / "g.png", nullptr);
  EXPECT_EQ(r.sampler.seed, 77u);
  EXPECT_EQ(r.sampler.batch, 4);
  EXPECT_EQ(r.models[0].path, "memory:q");
  EXPECT_TRUE(std::filesystem::exists(dir / "seq_000000.png"));
}

}  // namespace
}  // namespace ebm
