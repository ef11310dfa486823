// The studio's background reader (app/studio/concept_reader.h) on tiny denoising model files: a read
// finishes on its task with one reading per model, and a file that changed on disk since the studio
// loaded it gives that model an error (naming the file) instead of a reading by another model.
#include "app/studio/concept_reader.h"

#include "engine/energy/model_loader.h"
#include "models/checkpoint/sha256.h"
#include "tests/support/small_denoiser.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace ebm::studio {
namespace {

ReadModel read_model(const std::string& name, const std::string& path) {
  const auto loaded = load_energy_model(path);
  return {name, path, loaded.model->info().schema, loaded.sha256};
}

// A model's entry, failed or not (ConceptReader::reading returns only successful ones).
const ModelReading& entry(const ConceptReader& reader, const std::string& model) {
  for (const auto& r : reader.readings())
    if (r.model == model) return r;
  throw std::out_of_range("no entry for " + model);
}

// Polls as the studio's frame loop does, for at most a minute.
void wait_done(ConceptReader& reader) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!reader.poll()) {
    ASSERT_LT(std::chrono::steady_clock::now(), until) << "the read did not finish";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

TEST(ConceptReader, ReadsWithEveryModelAndRefusesAFileChangedSinceItWasLoaded) {
  test::TempDir dir("ebm_concept_reader");
  const auto pos = dir.f("models/position.safetensors"), col = dir.f("models/color.safetensors");
  test::save_small_denoiser(pos, "position", 1);
  test::save_small_denoiser(col, "color", 2);
  std::vector<ReadModel> models{read_model("position", pos), read_model("color", col)};
  EXPECT_EQ(models[0].sha256, sha256_file(pos));

  ConceptReader reader;
  torch::manual_seed(3);
  reader.set_image(torch::rand({3, 64, 64}), "noise");
  ReadOptions quick = quick_read_options();
  reader.start(models, "cpu", quick);
  wait_done(reader);
  ASSERT_EQ(reader.state(), ConceptReader::State::Done);
  ASSERT_EQ(reader.readings().size(), 2u);
  for (const auto& r : reader.readings()) {
    EXPECT_TRUE(r.error.empty()) << r.model << ": " << r.error;
    EXPECT_FALSE(r.text.empty()) << r.model;
  }
  ASSERT_NE(reader.reading("position"), nullptr);
  ASSERT_NE(reader.reading("color"), nullptr);
  ASSERT_EQ(reader.reading("position")->reading.label.size(), 2u);
  for (float v : reader.reading("position")->reading.label) EXPECT_TRUE(v >= -1.f && v <= 1.f) << v;
  EXPECT_EQ(reader.reading("color")->reading.class_scores.size(), 20u);

  // The colour file is replaced by another model after the studio loaded it.
  test::save_small_denoiser(col, "color", 9);
  reader.start(models, "cpu", quick);
  wait_done(reader);
  ASSERT_EQ(reader.readings().size(), 2u);
  EXPECT_TRUE(entry(reader, "position").error.empty()) << entry(reader, "position").error;
  EXPECT_EQ(reader.reading("color"), nullptr);
  const std::string err = entry(reader, "color").error;
  EXPECT_NE(err.find("changed on disk"), std::string::npos) << err;
  EXPECT_NE(err.find(col), std::string::npos) << err;
  EXPECT_NE(err.find("load the model again"), std::string::npos) << err;

  // Without a recorded hash nothing is checked (models named by a script with no loaded entry).
  models[1].sha256.clear();
  reader.start(models, "cpu", quick);
  wait_done(reader);
  EXPECT_TRUE(entry(reader, "color").error.empty()) << entry(reader, "color").error;
}

}  // namespace
}  // namespace ebm::studio
