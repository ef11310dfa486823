// XDG paths, recent files, atomic writes.
#include "app/studio/app_paths.h"
#include "app/studio/studio.h"
#include "models/cubes_classifier.h"
#include "models/checkpoint/model_file.h"
#include "models/registry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace ebm::studio;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("ebm_studio_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}
}  // namespace

TEST(AppPaths, XdgThenHomeFallback) {
  EXPECT_EQ(AppPaths::resolve("/xdg", "/home/u").config_dir, fs::path("/xdg/ebm-studio"));
  EXPECT_EQ(AppPaths::resolve(nullptr, "/home/u").config_dir, fs::path("/home/u/.config/ebm-studio"));
  // The XDG spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  EXPECT_EQ(AppPaths::resolve("relative", "/home/u").config_dir, fs::path("/home/u/.config/ebm-studio"));
  EXPECT_THROW(AppPaths::resolve(nullptr, nullptr), std::runtime_error);
  auto p = AppPaths::resolve("/x", nullptr);
  EXPECT_EQ(p.imgui_ini(), fs::path("/x/ebm-studio/imgui.ini"));
  EXPECT_EQ(p.presets_dir(), fs::path("/x/ebm-studio/presets"));
}

TEST(AppPaths, EnsureCreatesDirectories) {
  auto dir = temp_dir("ensure");
  auto p = AppPaths::resolve(dir.c_str(), nullptr);
  std::string err;
  ASSERT_TRUE(p.ensure(err)) << err;
  EXPECT_TRUE(fs::is_directory(p.presets_dir()));
  fs::remove_all(dir);
}

TEST(RecentFiles, MostRecentFirstNoDuplicatesBounded) {
  RecentFiles r;
  r.add("a");
  r.add("b");
  r.add("a");
  EXPECT_EQ(r.items(), (std::vector<std::string>{"a", "b"}));
  for (int i = 0; i < 30; ++i) r.add("f" + std::to_string(i));
  EXPECT_EQ(r.items().size(), RecentFiles::kMax);
  EXPECT_EQ(r.items().front(), "f29");
}

TEST(RecentFiles, SaveLoadAndCorruptFile) {
  auto dir = temp_dir("recent");
  RecentFiles r;
  r.add("/one.json");
  r.add("/two.safetensors");
  r.save(dir / "recent.json");
  RecentFiles back;
  back.load(dir / "recent.json");
  EXPECT_EQ(back.items(), r.items());
  ebm::write_file_atomic((dir / "bad.json").string(), "{not json");
  EXPECT_THROW(back.load(dir / "bad.json"), std::runtime_error);
  EXPECT_TRUE(back.items().empty());
  back.load(dir / "missing.json");  // a missing file is just an empty list
  EXPECT_TRUE(back.items().empty());
  // No temporary files are left behind.
  int n = 0;
  for (auto& e : fs::directory_iterator(dir)) n += e.path().string().find(".tmp.") != std::string::npos;
  EXPECT_EQ(n, 0);
  fs::remove_all(dir);
}

TEST(AtomicWrite, FailsClearlyOnMissingDirectory) {
  try {
    ebm::write_file_atomic("/nonexistent_dir_ebm/x.json", "{}");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent_dir_ebm"), std::string::npos);
  }
}

// The models directory ships the grading classifier beside the concept models: scanning the
// directory must list the models only (the classifier is not an energy model), in name order.
TEST(ModelPaths, ADirectoryListsItsModelsButNotTheGradingClassifier) {
  auto dir = temp_dir("model_scan");
  ebm::ModelConfig c = ebm::ModelConfig::defaults_for(ebm::Arch::CubesNet);
  c.num_filters = 4;
  c.label_size = 2;
  ebm::save_model((dir / "b_position.safetensors").string(), *ebm::make_network(c));
  ebm::save_model((dir / "a_size.safetensors").string(), *ebm::make_network(c));
  ebm::ClassifierConfig cc;
  cc.num_filters = 4;
  ebm::CubesClassifier clf(cc);
  ebm::save_classifier((dir / "classifier.safetensors").string(), *clf);
  std::ofstream(dir / "notes.md") << "not a model";
  EXPECT_EQ(expand_model_paths({dir.string()}),
            (std::vector<std::string>{(dir / "a_size.safetensors").string(), (dir / "b_position.safetensors").string()}));
  // A file named on its own is passed through: loading it says what it is.
  EXPECT_EQ(expand_model_paths({(dir / "classifier.safetensors").string()}),
            (std::vector<std::string>{(dir / "classifier.safetensors").string()}));
  fs::remove_all(dir);
}
