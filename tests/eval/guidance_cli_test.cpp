// `ebm eval --suite`'s guidance flags (--guidance, --guidance-interval) and the noise-ladder flags as
// eval takes them, run through the real binary (EBM_BINARY) on a tiny denoising position model and a
// tiny random grader: exit codes, what the JSON reports, and that each flag changes what is sampled
// (the grades of the same samples are bit-identical on one machine, so "changed" and "the same" are
// both exact checks).
#include "engine/gpu/precision.h"
#include "models/cubes_classifier.h"

#include "tests/support/temp_dir.h"
#include "tests/support/cli_run.h"
#include "tests/support/small_denoiser.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <unistd.h>

namespace ebm::eval {
namespace {

namespace fs = std::filesystem;

struct Dir : ebm::test::TempDir {
  Dir() : TempDir("ebm_eval_guidance") {}
};

using ebm::test::CliRun;

CliRun ebm(const Dir& d, const std::vector<std::string>& args) {
  return ebm::test::run_binary(EBM_BINARY, args, d.f("stderr.txt"));
}

using ebm::test::concat;

// The suite's position case on the tiny models: 2 labels × 1 sample, a 2-level ladder with 1 top
// step (3 steps: the suite's default ladder would be 400).
std::vector<std::string> suite(const Dir& d) {
  return {"eval", "--suite", "--models", d.f("models"), "--cases", "position", "--n", "2", "--labels", "2",
          "--levels", "2", "--steps-per-level", "1", "--top-steps", "1", "--json", "--quiet"};
}

nlohmann::json run_json(const Dir& d, const std::vector<std::string>& args) {
  CliRun r = ebm(d, args);
  EXPECT_EQ(r.code, 0) << r.err;
  if (r.code != 0) return {};
  return nlohmann::json::parse(r.out);
}

// The grades of each label's samples, without the wall time.
nlohmann::json grades(nlohmann::json j) {
  nlohmann::json out = nlohmann::json::array();
  for (auto t : j["per_label"]) {
    t.erase("seconds");
    out.push_back(t);
  }
  return out;
}

void setup_models(const Dir& d) {
  test::save_small_denoiser(d.f("models/position.safetensors"), "position", 1, 0.05, 1.0);
  torch::manual_seed(3);
  ClassifierConfig cc;
  cc.num_filters = 4;
  // A grader without a count head: a random one reads every sample as an empty floor, and an empty
  // floor takes each row's worst value (grade_table.h), the same whatever was sampled — so the
  // heads' readings, which follow the samples, are what these checks compare.
  cc.layout = ClassifierLayout::Mean;
  CubesClassifier c(cc);
  save_classifier(d.f("models/classifier.safetensors"), *c, {{"note", "random, for tests"}});
}

TEST(EvalCliGuidance, GuidanceAndItsIntervalReachTheSamples) {
  Dir d;
  setup_models(d);
  const auto plain = run_json(d, suite(d));  // the model's own guidance (1: none)
  ASSERT_FALSE(plain.is_null());
  EXPECT_EQ(plain["guidance"], "per model");
  EXPECT_EQ(plain["guidance_interval"], "per model");
  EXPECT_EQ(plain["steps"], 3);
  ASSERT_EQ(plain["per_label"].size(), 2u);

  const auto g4 = run_json(d, concat(suite(d), {"--guidance", "4"}));
  ASSERT_FALSE(g4.is_null());
  EXPECT_EQ(g4["guidance"], 4.0);
  EXPECT_NE(grades(g4), grades(plain)) << "--guidance 4 sampled what guidance 1 samples";

  // An interval holding every σ of the ladder is guidance everywhere: the very same samples.
  const auto everywhere = run_json(d, concat(suite(d), {"--guidance", "4", "--guidance-interval", "0,inf"}));
  ASSERT_FALSE(everywhere.is_null());
  EXPECT_EQ(everywhere["guidance_interval"], nlohmann::json::parse("[0.0, null]"));
  EXPECT_EQ(grades(everywhere), grades(g4));
  // Guidance at the low level only (the ladder's σ are 1 and 0.05): other samples again.
  const auto low = run_json(d, concat(suite(d), {"--guidance", "4", "--guidance-interval", "0,0.3"}));
  ASSERT_FALSE(low.is_null());
  EXPECT_EQ(low["guidance_interval"], nlohmann::json::parse("[0.0, 0.3]"));
  EXPECT_NE(grades(low), grades(g4));
  EXPECT_NE(grades(low), grades(plain));

  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"--guidance", "-1"}, {"--guidance-interval", "x"}, {"--guidance-interval", "0.5,0.1"}}) {
    CliRun r = ebm(d, concat(suite(d), bad));
    EXPECT_EQ(r.code, 2) << bad[0] << " " << bad[1] << ": " << r.err;
  }
}

TEST(EvalCliGuidance, TheLadderFlagsSetTheSuitesSchedule) {
  Dir d;
  setup_models(d);
  // --predictor adds a move per level: 1 top step + 2 × (1 corrector + 1 predictor) = 5.
  const auto pc = run_json(d, concat(suite(d), {"--predictor"}));
  ASSERT_FALSE(pc.is_null());
  EXPECT_EQ(pc["steps"], 5);
  const auto base = run_json(d, suite(d));
  ASSERT_FALSE(base.is_null());
  EXPECT_EQ(base["steps"], 3);
  // --temperature scales the corrector noise: other samples, the same number of steps.
  const auto cold = run_json(d, concat(suite(d), {"--temperature", "0.5"}));
  ASSERT_FALSE(cold.is_null());
  EXPECT_EQ(cold["steps"], 3);
  EXPECT_NE(grades(cold), grades(base));
  CliRun r = ebm(d, concat(suite(d), {"--temperature", "11"}));
  EXPECT_EQ(r.code, 2) << r.err;
}

// --precision reaches the sampler and the JSON records it; what cannot run is refused before any
// model loads. On the CPU tf32 is plain fp32 (the same samples) and bf16 is bf16 autocast where the
// CPU has the instructions (other samples), refused where it has not.
TEST(EvalCliGuidance, PrecisionIsRecordedAndReachesTheSamples) {
  Dir d;
  setup_models(d);
  const auto plain = run_json(d, suite(d));
  ASSERT_FALSE(plain.is_null());
  EXPECT_EQ(plain["precision"], "tf32");
  const auto fp32 = run_json(d, concat(suite(d), {"--precision", "fp32"}));
  ASSERT_FALSE(fp32.is_null());
  EXPECT_EQ(fp32["precision"], "fp32");
  EXPECT_EQ(grades(fp32), grades(plain));
  if (cpu_has_native_bf16()) {
    const auto bf16 = run_json(d, concat(suite(d), {"--precision", "bf16"}));
    ASSERT_FALSE(bf16.is_null());
    EXPECT_EQ(bf16["precision"], "bf16");
    EXPECT_NE(grades(bf16), grades(plain)) << "--precision bf16 sampled what fp32 samples";
  } else {
    CliRun r = ebm(d, concat(suite(d), {"--precision", "bf16"}));
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("needs bf16 instructions"), std::string::npos) << r.err;
  }
  CliRun r = ebm(d, concat(suite(d), {"--precision", "fp16"}));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--precision"), std::string::npos) << r.err;
}

// The count concept end to end through the binary: `ebm train --concept count` makes the model, `ebm
// eval --suite --one-object` ANDs its "one object" into the case (other samples, no row of its own),
// and each misuse is refused naming what to do.
TEST(EvalCliGuidance, TheOneObjectTermAndItsErrors) {
  Dir d;
  setup_models(d);
  CliRun r = ebm(d, concat(suite(d), {"--one-object"}));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("needs the count model"), std::string::npos) << r.err;
  r = ebm(d, concat(suite(d), {"--count-guidance", "3"}));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--count-guidance goes with --one-object"), std::string::npos) << r.err;

  const std::vector<std::string> train = {"train", "--concept", "count", "--objective", "dsm", "--iters", "1",
                                          "--filters", "4", "--batch", "2", "--pool", "6", "--device", "cpu",
                                          "--no-progress", "--sample-every", "0", "--sample-n", "3"};
  r = ebm(d, concat(train, {"--out", d.f("count_run"), "--objects", "2"}));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("leave --objects out"), std::string::npos) << r.err;
  r = ebm(d, concat(train, {"--out", d.f("count_run")}));
  ASSERT_EQ(r.code, 0) << r.err;
  fs::copy_file(d.f("count_run/model.safetensors"), d.f("models/count.safetensors"));

  const auto plain = run_json(d, suite(d));
  const auto one = run_json(d, concat(suite(d), {"--one-object", "--count-guidance", "3"}));
  ASSERT_FALSE(plain.is_null());
  ASSERT_FALSE(one.is_null());
  EXPECT_NE(grades(one), grades(plain)) << "the count term did not reach the samples";
  for (const auto& t : one["tables"])
    for (const auto& row : t["rows"]) EXPECT_EQ(row["concept"], "position") << "the count term is graded by 'found'";
}

}  // namespace
}  // namespace ebm::eval
