// The image-folder dataset of `ebm train --data` (engine/data/image_folder.h): a folder made here
// (PNG and JPEG, grey/RGB/RGBA, mixed sizes) loads into images and labels with one-hot expansion,
// caches and reloads from the cache, and every bad input named in issue #24 gives its error.
#include "engine/data/image_folder.h"
#include "engine/image/image_io.h"
#include "models/checkpoint/atomic_file.h"

#include <stb_image_write.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

namespace ebm::data {
namespace {

namespace fs = std::filesystem;

struct Folder {
  fs::path dir;
  explicit Folder(const std::string& tag)
      : dir(fs::temp_directory_path() / ("ebm_folder_" + tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir / "img");
  }
  ~Folder() { fs::remove_all(dir); }
  std::string f(const std::string& n) const { return (dir / n).string(); }
  void csv(const std::string& text) const { write_file_atomic(f("labels.csv"), text); }
  // A w×h image of one colour with `c` channels (1 grey, 3 RGB, 4 RGBA), PNG or JPEG by extension.
  void image(const std::string& name, int w, int h, int c, uint8_t v) const {
    std::vector<uint8_t> px(static_cast<size_t>(w * h * c), v);
    const std::string p = f(name);
    const bool jpg = fs::path(name).extension() == ".jpg";
    ASSERT_TRUE(jpg ? stbi_write_jpg(p.c_str(), w, h, c, px.data(), 95) : stbi_write_png(p.c_str(), w, h, c, px.data(), w * c));
  }
  ImageFolderOptions opts(std::vector<std::string> cols) const {
    ImageFolderOptions o;
    o.dir = dir.string();
    o.label_columns = std::move(cols);
    return o;
  }
};

void expect_error(const ImageFolderOptions& o, const std::vector<std::string>& parts) {
  try {
    load_image_folder(o);
    FAIL() << "no error; expected one mentioning " << parts.front();
  } catch (const std::exception& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST(ImageFolder, LoadsMixedImagesAndExpandsOneHotColumns) {
  Folder d("ok");
  d.image("img/a.png", 80, 64, 3, 200);   // wide: centre-cropped
  d.image("img/b.jpg", 40, 40, 3, 100);   // small JPEG: upscaled
  d.image("img/c.png", 64, 64, 1, 50);    // grey
  d.image("img/d.png", 100, 120, 4, 250); // RGBA: alpha dropped
  d.csv("file,age,kind\nimg/a.png,0.5,2\nimg/b.jpg,-0.25,0\n\"img/c.png\",1,1\nimg/d.png,-1,2\n");
  auto o = d.opts({"kind", "age"});
  o.one_hot["kind"] = 3;
  const auto data = load_image_folder(o);
  EXPECT_EQ(data.images.sizes(), (std::vector<int64_t>{4, 3, 64, 64}));
  EXPECT_EQ(data.images.scalar_type(), torch::kUInt8);
  EXPECT_EQ(data.labels.sizes(), (std::vector<int64_t>{4, 4}));
  EXPECT_TRUE(torch::equal(data.labels[0], torch::tensor({0.f, 0.f, 1.f, 0.5f})));
  EXPECT_TRUE(torch::equal(data.labels[2], torch::tensor({0.f, 1.f, 0.f, 1.f})));
  EXPECT_EQ(data.schema.size(), 4);
  EXPECT_EQ(data.schema.slots[0].name, "kind=0");
  EXPECT_EQ(data.schema.slots[3].name, "age");
  EXPECT_EQ(data.files[2], "img/c.png");
  EXPECT_NEAR(data.images[0].to(torch::kFloat).mean().item<double>(), 200, 1.0);
  EXPECT_NEAR(data.images[1].to(torch::kFloat).mean().item<double>(), 100, 3.0);  // JPEG rounding
  EXPECT_NEAR(data.images[2].to(torch::kFloat).mean().item<double>(), 50, 1.0);
  EXPECT_EQ(data.sha256.size(), 64u);
  // 128×128 for ResNet128.
  o.size = 128;
  EXPECT_EQ(load_image_folder(o).images.size(3), 128);
}

TEST(ImageFolder, CachesOnceAndReloadsUntilAFileChanges) {
  Folder d("cache");
  d.image("img/a.png", 64, 64, 3, 10);
  d.image("img/b.png", 64, 64, 3, 20);
  d.csv("file,v\nimg/a.png,0.1\nimg/b.png,0.2\n");
  auto o = d.opts({"v"});
  o.cache = d.f("cache.u8");
  const auto first = load_image_folder(o);
  EXPECT_FALSE(first.from_cache);
  EXPECT_TRUE(fs::exists(o.cache));
  const auto again = load_image_folder(o);
  EXPECT_TRUE(again.from_cache);
  EXPECT_TRUE(torch::equal(again.images, first.images));
  d.image("img/b.png", 64, 64, 3, 30);  // the dataset changed: decoded again
  const auto changed = load_image_folder(o);
  EXPECT_FALSE(changed.from_cache);
  EXPECT_NE(changed.sha256, first.sha256);
  EXPECT_NEAR(changed.images[1].to(torch::kFloat).mean().item<double>(), 30, 1.0);
}

TEST(ImageFolder, BadInputNamesTheFileAndTheLine) {
  Folder d("bad");
  d.image("img/a.png", 64, 64, 3, 10);
  auto o = d.opts({"v"});
  expect_error(o, {"labels.csv"});  // no labels.csv
  d.csv("name,v\nimg/a.png,0.1\n");
  expect_error(o, {"line 1", "`file`"});
  d.csv("file,v\nimg/a.png\n");
  expect_error(o, {"line 2", "columns"});
  d.csv("file,v\nimg/a.png,abc\n");
  expect_error(o, {"line 2", "'v'", "not a number"});
  d.csv("file,v\nimg/a.png,0.1\nimg/missing.png,0.2\n");
  expect_error(o, {"line 3", "missing.png"});
  d.csv("file,v\nimg/a.png,0.1\nimg/a.png,0.2\n");
  expect_error(o, {"line 3", "listed twice"});
  d.csv("file,v\nimg/a.png,3.5\n");
  expect_error(o, {"'v'", "3.5", "--label-range v:"});
  o.ranges["v"] = {0.f, 5.f};
  EXPECT_NO_THROW(load_image_folder(o));
  d.csv("file,v\nimg/a.png,2.5\n");
  o.one_hot["v"] = 3;
  expect_error(o, {"line 2", "class index"});
  d.csv("file,v\n");
  expect_error(o, {"lists no images"});
  write_file_atomic(d.f("img/bad.png"), std::string("not an image"));
  d.csv("file,v\nimg/bad.png,1\n");
  expect_error(o, {"line 2", "bad.png"});
  auto w = d.opts({"nope"});
  d.csv("file,v\nimg/a.png,1\n");
  expect_error(w, {"no column 'nope'", "v"});
  Folder empty("empty");
  fs::remove_all(empty.dir / "img");
  expect_error(empty.opts({"v"}), {"empty"});
  o.size = 96;
  EXPECT_THROW(load_image_folder(o), std::invalid_argument);
}

}  // namespace
}  // namespace ebm::data
