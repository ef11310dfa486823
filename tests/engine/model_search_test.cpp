// Where the shipped models and recipes are found, and the models a recipe names
// (engine/recipe/model_search.h): the installed tree next to the binary comes before the source tree,
// and a bare model file name falls back from the recipe's directory to the shipped models.
#include "engine/recipe/model_search.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace ebm {
namespace {

namespace fs = std::filesystem;

// A fresh directory, canonical (paths from the search are canonical where they come from the binary).
fs::path fresh_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("ebm_model_search_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return fs::canonical(p);
}

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "x";
}

// Sets (or unsets) an environment variable for one test, restoring it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_) ::setenv(name_, old_.c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(ModelSearch, TheInstalledTreeNextToTheBinaryComesBeforeTheSourceTree) {
  ScopedEnv no_models("EBM_STUDIO_MODELS", nullptr), no_recipes("EBM_STUDIO_RECIPES", nullptr);
  const fs::path dir = fresh_dir("order");
  const fs::path exe = dir / "prefix" / "bin" / "ebm";
  touch(exe);
  const fs::path installed = dir / "prefix" / "share" / "ebm-studio" / "models";
  const fs::path source = dir / "src" / "assets";
  fs::create_directories(installed);
  fs::create_directories(source / "models");
  fs::create_directories(source / "recipes");

  EXPECT_EQ(shipped_search_dirs(ShippedKind::Models, exe.string(), source.string()),
            (std::vector<fs::path>{installed, source / "models"}));
  EXPECT_EQ(find_shipped_dir(ShippedKind::Models, exe.string(), source.string()), installed);
  // No installed recipes: the source tree's.
  EXPECT_EQ(find_shipped_dir(ShippedKind::Recipes, exe.string(), source.string()), source / "recipes");

  // A symlink to the binary (/usr/local/bin/ebm -> /opt/…/bin/ebm) finds the tree it points into.
  fs::create_directories(dir / "links");
  fs::create_symlink(exe, dir / "links" / "ebm");
  EXPECT_EQ(find_shipped_dir(ShippedKind::Models, (dir / "links" / "ebm").string(), source.string()), installed);

  // The environment comes first, whether the binary has a tree or not.
  const fs::path mine = dir / "mine";
  fs::create_directories(mine);
  {
    ScopedEnv env("EBM_STUDIO_MODELS", mine.c_str());
    EXPECT_EQ(find_shipped_dir(ShippedKind::Models, exe.string(), source.string()), mine);
    EXPECT_EQ(find_shipped_dir(ShippedKind::Recipes, exe.string(), source.string()), source / "recipes");
  }
  {
    ScopedEnv env("EBM_STUDIO_RECIPES", mine.c_str());
    EXPECT_EQ(find_shipped_dir(ShippedKind::Recipes, exe.string(), source.string()), mine);
  }

  fs::remove_all(installed);
  EXPECT_EQ(find_shipped_dir(ShippedKind::Models, exe.string(), source.string()), source / "models");
  fs::remove_all(source);
  EXPECT_TRUE(find_shipped_dir(ShippedKind::Models, exe.string(), source.string()).empty());
  fs::remove_all(dir);
}

TEST(ModelSearch, ABareModelNameIsLookedForNextToTheRecipeThenInTheShippedModels) {
  const fs::path dir = fresh_dir("resolve");
  const fs::path recipe = dir / "recipes" / "r.json";
  const fs::path shipped = dir / "shipped";
  touch(recipe);
  touch(shipped / "color.safetensors");
  touch(dir / "recipes" / "local.safetensors");
  ScopedEnv env("EBM_STUDIO_MODELS", shipped.c_str());

  EXPECT_EQ(resolve_model_path(recipe.string(), "local.safetensors"), (dir / "recipes" / "local.safetensors").string());
  EXPECT_EQ(resolve_model_path(recipe.string(), "color.safetensors"), (shipped / "color.safetensors").string());
  // A file of that name next to the recipe wins over the shipped one.
  touch(dir / "recipes" / "color.safetensors");
  EXPECT_EQ(resolve_model_path(recipe.string(), "color.safetensors"), (dir / "recipes" / "color.safetensors").string());
  // A path with a directory part or an absolute one says where the file is: it is not searched for.
  EXPECT_EQ(resolve_model_path(recipe.string(), "models/size.safetensors"), (dir / "recipes" / "models" / "size.safetensors").string());
  EXPECT_EQ(resolve_model_path(recipe.string(), "../shipped/none.safetensors"), (shipped / "none.safetensors").string());
  EXPECT_EQ(resolve_model_path(recipe.string(), "/abs/shape.safetensors"), "/abs/shape.safetensors");
  EXPECT_EQ(resolve_model_path(recipe.string(), "memory:pos"), "memory:pos");

  // Found nowhere: the message names the file, the recipe, every place looked and what to do.
  try {
    resolve_model_path(recipe.string(), "nowhere.safetensors");
    FAIL() << "a model found nowhere must throw";
  } catch (const ModelNotFoundError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'nowhere.safetensors'"), std::string::npos) << m;
    EXPECT_NE(m.find(recipe.string()), std::string::npos) << m;
    EXPECT_NE(m.find((dir / "recipes").string()), std::string::npos) << m;
    EXPECT_NE(m.find(shipped.string()), std::string::npos) << m;
    EXPECT_NE(m.find("set EBM_STUDIO_MODELS"), std::string::npos) << m;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ebm
