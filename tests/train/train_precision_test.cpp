// `--precision` (issue #27 item 4): what "auto" resolves to on each device and objective, what a
// checkpoint written before the option existed resumes with, and the errors. The speed and the loss
// curves behind the rule are measured on a GPU (docs/gpu.md, "Precision of training").
#include "engine/train/train_options.h"
#include "engine/train/trainer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ebm::train {
namespace {

TrainOptions with(const std::string& objective, const std::string& precision) {
  TrainOptions o;
  o.objective = objective;
  o.precision = precision;
  return o;
}

TEST(TrainPrecision, AutoIsBf16WithChannelsLastForCdOnCudaAndFp32Otherwise) {
  auto o = with("cd", "auto");
  o.resolve_precision(/*on_cuda=*/true, /*fresh_run=*/true);
  EXPECT_EQ(o.precision, "bf16");
  EXPECT_TRUE(o.bf16);
  EXPECT_TRUE(o.channels_last);

  o = with("dsm", "auto");  // the double backward of DSM was never measured in bf16: it stays fp32
  o.resolve_precision(true, true);
  EXPECT_EQ(o.precision, "fp32");
  EXPECT_FALSE(o.bf16);
  EXPECT_FALSE(o.channels_last);

  o = with("cd", "auto");
  o.resolve_precision(/*on_cuda=*/false, true);
  EXPECT_EQ(o.precision, "fp32");
  EXPECT_FALSE(o.bf16);
}

TEST(TrainPrecision, Fp32KeepsChannelsLastAsGivenAndBf16AlwaysBringsIt) {
  auto o = with("cd", "fp32");
  o.channels_last = true;
  o.resolve_precision(true, true);
  EXPECT_FALSE(o.bf16);
  EXPECT_TRUE(o.channels_last);
  o = with("dsm", "bf16");
  o.resolve_precision(true, true);
  EXPECT_TRUE(o.bf16);
  EXPECT_TRUE(o.channels_last);
}

TEST(TrainPrecision, Bf16OffCudaIsAnErrorForAFreshRunButAResumedRunKeepsIt) {
  auto o = with("cd", "bf16");
  try {
    o.resolve_precision(/*on_cuda=*/false, /*fresh_run=*/true);
    FAIL() << "bf16 on the CPU was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--precision bf16 is CUDA autocast"), std::string::npos) << e.what();
  }
  o = with("cd", "bf16");
  o.resolve_precision(false, /*fresh_run=*/false);  // a run moved to another machine keeps its numerics
  EXPECT_TRUE(o.bf16);
  o = with("cd", "half");
  EXPECT_THROW(o.validate(), std::invalid_argument);
  EXPECT_THROW(o.resolve_precision(true, true), std::invalid_argument);
}

TEST(TrainPrecision, ACheckpointWithoutThePrecisionKeyResumesWithTheSwitchItStored) {
  nlohmann::json old = with("cd", "auto");
  old.erase("precision");
  old["bf16"] = true;
  EXPECT_EQ(old.get<TrainOptions>().precision, "bf16");
  old["bf16"] = false;
  EXPECT_EQ(old.get<TrainOptions>().precision, "fp32");  // not "auto": that would turn an fp32 run to bf16
  // The resolved value is what a checkpoint stores, and it cannot change on --resume.
  auto o = with("cd", "auto");
  o.out_dir = "run";
  o.resolve_precision(true, true);
  const nlohmann::json saved = o;
  EXPECT_EQ(saved.at("precision"), "bf16");
  EXPECT_THROW(merge_resume_options(saved, {{"precision", "fp32"}}), std::invalid_argument);
  EXPECT_EQ(merge_resume_options(saved, {{"precision", "bf16"}}).precision, "bf16");
}

}  // namespace
}  // namespace ebm::train
