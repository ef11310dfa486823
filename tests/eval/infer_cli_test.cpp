// `ebm infer` and `ebm render --folder` through the real binary (EBM_BINARY), on tiny random models:
// the table and JSON shapes, a directory of models with the grader skipped, and the errors a user
// can meet. What the readings are worth is measured on the shipped models by
// scripts/models/infer_accuracy.py (docs/engine.md "Reading images into concepts").
#include "engine/image/image_io.h"
#include "models/cubes_classifier.h"

#include "tests/support/temp_dir.h"
#include "tests/support/cli_run.h"
#include "tests/support/small_models.h"
#include "tests/support/file_bytes.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace ebm {
namespace {

namespace fs = std::filesystem;

struct Dir : ebm::test::TempDir {
  explicit Dir(const std::string& tag) : TempDir("ebm_infer_" + tag) {}
};

test::CliRun ebm(const Dir& d, const std::vector<std::string>& args) {
  return test::run_binary(EBM_BINARY, args, d.f("stderr.txt"));
}

TEST(RenderFolder, WritesOnePngPerSceneAndTheirLabels) {
  Dir d("render");
  auto r = ebm(d, {"render", "--n", "3", "--seed", "7", "--folder", d.f("scenes")});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"scene_00000.png", "scene_00001.png", "scene_00002.png", "labels.csv"})
    EXPECT_TRUE(fs::exists(d.path / "scenes" / f)) << f;
  const std::string csv = test::file_bytes(d.f("scenes/labels.csv"));
  EXPECT_EQ(csv.rfind("file,x,y,size,shape,color\nscene_00000.png,", 0), 0u) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
  // The same seed renders the same labels.
  r = ebm(d, {"render", "--n", "3", "--seed", "7", "--folder", d.f("again")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(test::file_bytes(d.f("again/labels.csv")), csv);
  r = ebm(d, {"render", "--n", "3"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--folder"), std::string::npos) << r.err;
}

TEST(InferCli, ReadsEveryImageWithEveryModel) {
  Dir d("read");
  test::save_small_cubesnet(d.f("models/position.safetensors"), 2, 1);
  test::save_small_cubesnet(d.f("models/color.safetensors"), 20, 2);
  {
    ClassifierConfig cc;
    cc.num_filters = 4;
    save_classifier(d.f("models/classifier.safetensors"), *CubesClassifier(cc));
  }
  ASSERT_EQ(ebm(d, {"render", "--n", "2", "--folder", d.f("img")}).code, 0);
  auto r = ebm(d, {"infer", "--models", d.f("models"), "--steps", "3", "--json", d.f("img/scene_00000.png"),
                   d.f("img/scene_00001.png")});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  ASSERT_EQ(j[0]["readings"].size(), 2u);  // the grader in the directory is skipped
  for (const auto& img : j)
    for (const auto& rd : img["readings"]) {
      const auto& lab = rd["label"];
      if (rd["concept"] == "color") {
        ASSERT_EQ(lab.size(), 20u);
        EXPECT_EQ(rd["class_scores"].size(), 20u);
        EXPECT_GE(rd["margin"].get<double>(), 0.0);
      } else {
        ASSERT_EQ(lab.size(), 2u);
        for (const auto& v : lab) EXPECT_TRUE(v.get<double>() >= -1.0 && v.get<double>() <= 1.0);
      }
    }
  // The table names each image, model, concept and reading.
  r = ebm(d, {"infer", "--models", d.f("models/color.safetensors"), "--criterion", "energy",
              d.f("img/scene_00000.png")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("scene_00000.png"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("margin"), std::string::npos) << r.out;
  // --quick is the studio's CPU read, 2 starts of 15 steps, one noise draw: the same readings as those flags.
  const std::string pos = d.f("models/position.safetensors"), img = d.f("img/scene_00000.png");
  const auto quick = ebm(d, {"infer", "--models", pos, "--quick", "--json", img});
  const auto spelled = ebm(d, {"infer", "--models", pos, "--starts", "2", "--steps", "15", "--noise-draws", "1",
                                   "--json", img});
  ASSERT_EQ(quick.code, 0) << quick.err;
  EXPECT_EQ(quick.out, spelled.out);
}

TEST(InferCli, BadInputSaysWhatIsWrong) {
  Dir d("bad");
  test::save_small_cubesnet(d.f("models/position.safetensors"), 2, 1);
  ASSERT_EQ(ebm(d, {"render", "--n", "1", "--folder", d.f("img")}).code, 0);
  const std::string img = d.f("img/scene_00000.png");
  auto r = ebm(d, {"infer", "--models", d.f("models"), d.f("img/missing.png")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("missing.png"), std::string::npos) << r.err;
  r = ebm(d, {"infer", "--models", d.f("nowhere"), img});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("neither a model file nor a directory"), std::string::npos) << r.err;
  fs::create_directories(d.path / "empty");
  r = ebm(d, {"infer", "--models", d.f("empty"), img});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no concept models"), std::string::npos) << r.err;
  r = ebm(d, {"infer", "--models", d.f("models"), "--starts", "0", img});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--starts"), std::string::npos) << r.err;
  // A CD model has no noise schedule: the denoising criterion is refused with the way out.
  r = ebm(d, {"infer", "--models", d.f("models"), "--criterion", "denoise", img});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("use energy"), std::string::npos) << r.err;
  // Smaller than the model's images: refused, naming the file.
  save_png(d.f("small.png"), torch::rand({3, 32, 32}));
  r = ebm(d, {"infer", "--models", d.f("models"), d.f("small.png")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("small.png"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("smaller"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ebm
