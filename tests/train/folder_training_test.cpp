// `ebm train --data DIR` (issue #24) on a folder made here — PNG and JPEG, mixed sizes and channel
// counts: both objectives train a few iterations on its one-hot and continuous labels and resume the
// same trajectory; ResNet128 at 128×128; the streaming loader's batches are a pure function of the
// iteration; and bad folders and flags give their errors through the binary.
#include "engine/data/cubes_renderer.h"
#include "engine/image/image_io.h"
#include "engine/train/batch_loader.h"
#include "engine/train/trainer.h"
#include "engine/train/training_source.h"
#include "models/checkpoint/atomic_file.h"
#include "models/checkpoint/model_file.h"

#include "tests/support/cli_run.h"
#include "tests/support/tiny_train.h"

#include <ATen/CPUGeneratorImpl.h>
#include <stb_image_write.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace ebm::train {
namespace {

namespace fs = std::filesystem;

struct Folder {
  fs::path dir;
  explicit Folder(const std::string& tag)
      : dir(fs::temp_directory_path() / ("ebm_folder_train_" + tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir / "data" / "img");
  }
  ~Folder() { fs::remove_all(dir); }
  std::string f(const std::string& n) const { return (dir / n).string(); }
};

// Twelve cubes renders saved at several sizes and formats, with labels.csv: x, y and a class index.
void make_folder(const Folder& d) {
  auto gen = at::detail::createCPUGenerator(21);
  const auto scenes = data::sample_scenes(12, gen);
  torch::NoGradGuard no_grad;
  const auto imgs = data::CubesRenderer().render(scenes);
  std::string csv = "file,x,y,kind\n";
  for (int64_t i = 0; i < 12; ++i) {
    const std::string name = "img/s" + std::to_string(i) + (i % 3 == 0 ? ".jpg" : ".png");
    auto img = imgs[i];
    if (i % 4 == 1)  // larger and not square
      img = torch::nn::functional::interpolate(img.unsqueeze(0), torch::nn::functional::InterpolateFuncOptions()
                                                                     .size(std::vector<int64_t>{96, 80})
                                                                     .mode(torch::kBilinear)
                                                                     .align_corners(false))[0];
    const std::string path = d.f("data/" + name);
    if (i % 3 == 0) {
      auto px = img.clamp(0, 1).mul(255).round().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
      ASSERT_TRUE(stbi_write_jpg(path.c_str(), static_cast<int>(px.size(1)), static_cast<int>(px.size(0)), 3,
                                 px.data_ptr<uint8_t>(), 95));
    } else {
      save_png(path, img);
    }
    csv += name + "," + std::to_string(scenes.first.pos[i][0].item<float>()) + "," +
           std::to_string(scenes.first.pos[i][1].item<float>()) + "," + std::to_string(scenes.first.shape[i].item<int64_t>()) + "\n";
  }
  write_file_atomic(d.f("data/labels.csv"), csv);
}

// The tiny run on the folder: a one-hot column beside two continuous ones, two augmentations on.
TrainOptions folder_run(const Folder& d, const std::string& objective, const std::string& out) {
  TrainOptions o = test::tiny_train_options(objective, d.f(out));
  o.concept_name = "placement";
  o.data_dir = d.f("data");
  o.label_columns = {"x", "y", "kind"};
  o.one_hot = {"kind:3"};
  o.langevin_steps = 2;
  o.sample_levels = 2;
  o.augment_color = 0.1;
  o.augment_translate = 2;
  return o;
}

std::vector<double> losses(const TrainResult& r) { return test::logged_losses(r); }

TEST(FolderTraining, BothObjectivesTrainOnAFolderAndResumeTheSameTrajectory) {
  Folder d("both");
  make_folder(d);
  for (const std::string objective : {"cd", "dsm"}) {
    const auto whole = Trainer(folder_run(d, objective, objective + "_whole"), false).run();
    auto first = folder_run(d, objective, objective + "_split");
    first.iters = 3;
    Trainer(first, false).run();
    auto rest = folder_run(d, objective, objective + "_split");
    const auto resumed = Trainer(rest, true).run();
    const auto a = losses(whole), b = losses(resumed);
    ASSERT_EQ(a.size(), 6u) << objective;
    ASSERT_EQ(b.size(), 3u) << objective;
    for (size_t i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(a[3 + i], b[i]) << objective << " iteration " << 4 + i;
    // The model file says what it learned from; its label is the columns with `kind` expanded.
    const auto info = inspect_checkpoint(d.f(objective + "_whole/model.safetensors"));
    const auto training = nlohmann::json::parse(info.metadata.at("ebm.training"));
    EXPECT_EQ(training["data"]["kind"], "image folder") << objective;
    EXPECT_EQ(training["data"]["count"], 12);
    EXPECT_EQ(training["data"]["sha256"].get<std::string>().size(), 64u);
    EXPECT_EQ(training["data"]["schema"]["slots"].size(), 5u);  // x, y, kind=0..2
    EXPECT_TRUE(fs::exists(d.f(objective + "_whole/samples/reference.png")));
  }
}

TEST(FolderTraining, At128TheModelIsResNet128) {
  Folder d("r128");
  make_folder(d);
  auto o = folder_run(d, "dsm", "run");
  o.image_size = 128;
  o.iters = 2;
  o.batch = 2;
  o.augment_translate = 0;
  Trainer(o, false).run();
  const auto info = inspect_checkpoint(d.f("run/model.safetensors"));
  const auto cfg = nlohmann::json::parse(info.metadata.at("ebm.config"));
  EXPECT_EQ(cfg["arch"], "resnet128");
  EXPECT_EQ(cfg["image_size"], 128);
}

TEST(FolderTraining, TheLoadersBatchesArePureFunctionsOfTheIteration) {
  auto images = torch::arange(10 * 3 * 2 * 2, torch::kFloat).remainder(256).to(torch::kUInt8).reshape({10, 3, 2, 2});
  auto labels = torch::arange(10, torch::kFloat).unsqueeze(1);
  BatchLoader loader(images, labels, 7, torch::kCPU);
  for (int64_t it : {0, 1, 2, 5, 6}) {  // a jump (a resume) restarts the thread at 5
    const auto b = loader.next(it, 4);
    const auto rows = BatchLoader::rows(7, it, 4, 10);
    EXPECT_TRUE(torch::equal(b.labels.squeeze(1).to(torch::kLong), rows)) << "iteration " << it;
    EXPECT_TRUE(torch::allclose(b.images, images.index_select(0, rows).to(torch::kFloat) / 255.0));
  }
  EXPECT_FALSE(torch::equal(BatchLoader::rows(7, 0, 4, 10), BatchLoader::rows(7, 1, 4, 10)));
  EXPECT_TRUE(torch::equal(BatchLoader::rows(7, 3, 4, 10), BatchLoader::rows(7, 3, 4, 10)));
}

TEST(FolderTraining, BadFoldersAndFlagsSayWhatIsWrong) {
  Folder d("bad");
  make_folder(d);
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "train");
    for (const char* a : {"--device", "cpu", "--iters", "1", "--batch", "2", "--filters", "4", "--no-progress"}) args.push_back(a);
    return test::run_binary(EBM_BINARY, args, d.f("stderr.txt"));
  };
  const std::string data = d.f("data");
  auto r = run({"--data", data, "--out", d.f("o1"), "--label-columns", "x,y"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--concept NAME"), std::string::npos) << r.err;
  r = run({"--data", data, "--concept", "p", "--out", d.f("o2")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--label-columns"), std::string::npos) << r.err;
  r = run({"--data", data, "--concept", "p", "--out", d.f("o3"), "--label-columns", "x,age"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("no column 'age'"), std::string::npos) << r.err;
  r = run({"--data", data, "--concept", "p", "--out", d.f("o4"), "--label-columns", "kind"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("--label-range kind:"), std::string::npos) << r.err;  // classes 0..2 outside [-1, 1]
  r = run({"--data", data, "--concept", "p", "--out", d.f("o5"), "--label-columns", "kind", "--one-hot", "kind:2"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("class index"), std::string::npos) << r.err;
  r = run({"--data", data, "--concept", "p", "--out", d.f("o6"), "--label-columns", "x", "--size", "96"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--size"), std::string::npos) << r.err;
  r = run({"--concept", "position", "--out", d.f("o7"), "--augment-rotate", "10"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("position label would no longer be true"), std::string::npos) << r.err;
  r = run({"--data", d.f("nowhere"), "--concept", "p", "--out", d.f("o8"), "--label-columns", "x"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("not a directory"), std::string::npos) << r.err;
  // A good run through the binary, --augment's standard set and all.
  r = run({"--data", data, "--concept", "p", "--out", d.f("ok"), "--label-columns", "x,y,kind", "--one-hot", "kind:3",
           "--objective", "dsm", "--augment", "--checkpoint-activations"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("12 images"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rotate 10"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ebm::train
